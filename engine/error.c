/* error.c - descriptions of the project's error codes. */
#include "error.h"

const char *
ro_strerror(int rc)
{
	switch (rc) {
	case RO_OK: return "success";
	case RO_ENOMEM: return "out of memory";
	case RO_EIO: return "input/output error";
	case RO_EINVAL: return "invalid input";
	case RO_ENOENT: return "not found";
	case RO_EEXIST: return "already exists";
	case RO_ESTORE: return "state store error";
	case RO_EINFEASIBLE: return "plan is infeasible";
	case RO_ELOCKED: return "locked by another process";
	case RO_ESTATE: return "not allowed in the current state";
	case RO_ETIMEDOUT: return "timed out";
	case RO_EUNREACHABLE: return "host unreachable";
	case RO_EHOSTKEY: return "host key not recorded or changed";
	case RO_EAUTH: return "authentication failed";
	case RO_ECONNLOST: return "connection lost";
	case RO_ECANCELED: return "cancelled";
	case RO_EPROTO: return "protocol or integrity error";
	}
	return "unknown error";
}
