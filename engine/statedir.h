/*
 * statedir.h - the engine's state directory (default .rollout): the store,
 * the engine's SSH key and the known hosts live there, so whoever can write
 * into it can replace any of them. Every command that opens it goes through
 * ro_state_dir_prepare, which refuses a directory that others could write
 * to, as OpenSSH's StrictModes refuses such a ~/.ssh.
 */
#ifndef RO_STATEDIR_H
#define RO_STATEDIR_H

/*
 * ro_state_dir_prepare checks dir: it must be a directory (a symbolic link
 * to one is followed), owned by the user running rollout (or root), and
 * neither group- nor world-writable. With create set, a missing dir is
 * created with mode 0700 (whatever the umask); otherwise a missing dir is
 * RO_ENOENT with no message (callers that only read treat it as empty).
 * Returns 0, RO_ENOENT, RO_EINVAL (refused: *cause names the directory,
 * its mode and the chmod that fixes it) or RO_EIO (*cause).
 */
int ro_state_dir_prepare(const char *dir, int create, char **cause);

#endif
