/* web-int.h - what the console's files share (not a public contract). */
#ifndef RO_WEB_INT_H
#define RO_WEB_INT_H

#include <microhttpd.h>

/* live.c: the script that shows the live progress, and the event stream. */
extern const char ro_web_live_js[];
struct MHD_Response *ro_web_live_response(const char *state_dir, const char *campaign);

#endif
