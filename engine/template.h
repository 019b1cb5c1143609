/*
 * template.h - {{name}} references in step commands: where each one stands
 * in the command line, and filling them for one host.
 *
 * A Windows host runs a step's command as `cmd.exe /c COMMAND`; PowerShell
 * code is the argument of `powershell ... -Command "..."`. The text around a
 * reference decides how a value is read there, so every reference gets a
 * context from the command text alone (ro_template_scan), the same at load
 * time and at run time:
 *
 *   RO_TCTX_BARE   unquoted: a cmd.exe argument, a bare PowerShell argument,
 *                  the command itself, a path, or anything the scanner cannot
 *                  follow. Only letters, digits and . _ - \ : , / are
 *                  allowed (no leading - or / where an argument starts).
 *   RO_TCTX_CMD_DQ inside cmd.exe double quotes, outside PowerShell: anything
 *                  but a double quote, '%' (cmd expands %NAME% even inside
 *                  quotes), control characters, and a trailing backslash
 *                  before the closing quote.
 *   RO_TCTX_PS_SQ  inside PowerShell single quotes within the -Command's
 *                  double quotes: as CMD_DQ, and no typographic quotes
 *                  (PowerShell reads U+2018-U+201E as quotes); a single
 *                  quote is doubled when the value is filled in.
 *
 * The loader refuses a free-text reference (a `string` parameter,
 * host.model, site.name) in a BARE position, and the campaign loader checks
 * every value against every position it fills (docs/PLAYBOOKS.md).
 */
#ifndef RO_TEMPLATE_H
#define RO_TEMPLATE_H

#include <stddef.h>

#include "campaign.h"

enum ro_tctx { RO_TCTX_BARE, RO_TCTX_CMD_DQ, RO_TCTX_PS_SQ };

struct ro_tref {
	size_t index;            /* 0 for the first reference in the text, 1, ... */
	size_t open, end;        /* byte offsets of "{{" and just past "}}" */
	char name[128];          /* trimmed; "" when empty or over-long */
	enum ro_tctx ctx;
	int token_start;         /* BARE: the reference begins an argument */
	char next;               /* the character after "}}" ('\0' at the end) */
};

/* Called for each reference; a non-zero return stops the scan and is returned. */
typedef int (*ro_tref_fn)(const struct ro_tref *r, void *arg);

/*
 * ro_template_scan calls fn for every {{name}} in s, in order, with its
 * context. Returns RO_EINVAL for an unclosed "{{" (fn is not called for it),
 * fn's first non-zero result, or RO_OK.
 */
int ro_template_scan(const char *s, ro_tref_fn fn, void *arg);

/* ro_tctx_name describes a context for messages ("a bare argument", ...). */
const char *ro_tctx_name(enum ro_tctx ctx);

/*
 * ro_template_value_ok reports whether value may fill reference r. On
 * refusal it returns RO_EINVAL and sets *why to what is wrong (a static
 * string) and bad (size nbad) to the offending character as written
 * (escaped when it is a control character).
 */
int ro_template_value_ok(const struct ro_tref *r, const char *value, const char **why,
    char *bad, size_t nbad);

/*
 * ro_template_render returns a malloc'd copy of s with {{param}},
 * {{host.name}}, {{host.address}}, {{host.site}}, {{host.role}},
 * {{host.model}} and {{site.name}} replaced for host (an inventory index),
 * each quoted for its context. *missing (unless NULL) is set to 1 if a name
 * had no value or a value that its position refuses (the campaign loader
 * refuses those first; the reference is then left as written), else 0.
 * Parameter values never hold secrets (the vault holds those).
 */
char *ro_template_render(const char *s, const struct ro_campaign *c, uint32_t host,
    int *missing);

/* ro_template_host_value returns the value of a host variable for host h, or NULL. */
const char *ro_template_host_value(const struct ro_campaign *c, uint32_t host, const char *name);

/* ro_template_is_free_text: whether the host variable name is free text
 * (host.model, site.name) and so may stand only inside quotes. */
int ro_template_is_free_text(const char *name);

#endif
