/*
 * sim-shell.h - the Windows command languages, parsed: cmd.exe argument
 * splitting and a small PowerShell interpreter.
 *
 * Nothing here knows about hosts or SSH. The interpreter parses a script
 * into a tree (statements, if/elseif/else, foreach, try/catch, exit,
 * pipelines, expressions with PowerShell's operators and quoting) and
 * evaluates it; every command name it meets (cmdlet or native program) is
 * handed to the caller's sim_ps_ops.command, except the generic cmdlets
 * that only shape data (Where-Object, ForEach-Object, Sort-Object,
 * Select-Object, Format-Table, Format-List, Out-String, Out-Null,
 * Write-Output, Write-Error, Write-Host, Join-Path), which live here.
 *
 * Values live in the interpreter's arena and die with it.
 */
#ifndef SIM_SHELL_H
#define SIM_SHELL_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "util.h"

/* ---- cmd.exe ------------------------------------------------------------ */

/*
 * sim_cmd_split splits a command line the way the Microsoft C runtime
 * builds argv: whitespace separates, double quotes group (and are
 * removed), 2n backslashes before a quote give n backslashes, 2n+1 give n
 * and a literal quote, "" inside quotes is a literal quote. *argv is a
 * NULL-terminated array in a. Returns the number of arguments.
 */
size_t sim_cmd_split(struct ro_arena *a, const char *line, char ***argv);

/* sim_cmd_program reduces argv[0] to its lower-case base name without
 * ".exe"/".com" (e.g. "C:\Windows\System32\WUSA.EXE" -> "wusa"). */
const char *sim_cmd_program(struct ro_arena *a, const char *arg0);

/* ---- PowerShell values ---------------------------------------------------- */

enum sim_vkind {
	SIM_V_NULL, SIM_V_BOOL, SIM_V_INT, SIM_V_STR, SIM_V_ARR, SIM_V_OBJ,
	SIM_V_HASH, SIM_V_BLOCK, SIM_V_DATE, SIM_V_VER
};

struct sim_val {
	enum sim_vkind k;
	int64_t i;              /* bool, int; date: virtual Unix seconds */
	const char *s;          /* str; version text; obj type name; block source */
	size_t n;               /* arr items; obj/hash properties */
	size_t cap;
	const char **names;     /* obj/hash property names */
	struct sim_val **items; /* arr items; obj/hash property values */
	const char *view;       /* obj: default table columns, comma-separated (NULL: all) */
	const void *block;      /* block: parsed tree */
};

struct sim_ps;

struct sim_arg {
	const char *param;      /* "Name" for -Name (without the dash), NULL when positional */
	struct sim_val *val;    /* NULL for a switch without value */
};

struct sim_call {
	const char *name;       /* as written */
	struct sim_arg *args;
	size_t nargs;
	struct sim_val *input;  /* pipeline input (array), never NULL */
	const char *text;       /* the command's source text, for error messages */
};

#define SIM_NOTFOUND 1

struct sim_ps_ops {
	/*
	 * command runs the cmdlet or native program call->name; it appends
	 * output values to *out (an array it may replace). Returns 0 when it
	 * ran (errors are reported with sim_ps_error and make $? false), or
	 * SIM_NOTFOUND when the name is unknown.
	 */
	int (*command)(struct sim_ps *ps, struct sim_call *call, struct sim_val *out);
};

struct sim_ps {
	struct ro_arena *a;
	struct ro_buf *out, *err;
	const struct sim_ps_ops *ops;
	void *ctx;              /* the caller's (the host) */
	const char *stdin_data;
	size_t stdin_len, stdin_pos;
	int64_t now;            /* virtual Unix seconds, for Get-Date */
	int tz_minutes;         /* local offset, JST = 540 */
	double vseconds;        /* simulated time the commands took */
	/* evaluation state */
	void *vars;
	int ok;                 /* $? */
	int64_t lastexitcode;
	int exited;
	int exit_code;
	int unsupported;        /* a construct the simulator does not emulate was met */
	int error_action_stop;
	int flow;               /* internal: break/continue/return/throw */
	struct sim_val *thrown;
	const char *script;
	struct ro_buf *calls;   /* unless NULL: every command name run, space-separated */
};

void sim_ps_init(struct sim_ps *ps, struct ro_arena *a, struct ro_buf *out, struct ro_buf *err,
    const struct sim_ps_ops *ops, void *ctx);

/*
 * sim_ps_run parses and runs script as `powershell -Command` does and
 * returns the process exit code: the argument of `exit`, else 0 when the
 * last statement succeeded and 1 when it failed. A parse error prints
 * PowerShell's ParserError text and returns 1.
 */
int sim_ps_run(struct sim_ps *ps, const char *script);

/* sim_ps_set_var sets a variable ($name without the dollar). */
void sim_ps_set_var(struct sim_ps *ps, const char *name, struct sim_val *v);

/* Errors: prints "<call text> : message" and the CategoryInfo lines like
 * Windows PowerShell 5.1 and makes $? false (honouring -ErrorAction). */
void sim_ps_error(struct sim_ps *ps, const struct sim_call *call, const char *category,
    const char *fqid, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Reads one line of the process's standard input (without CR/LF), or NULL at the end. */
const char *sim_ps_read_line(struct sim_ps *ps);

/* Value constructors (arena-allocated). */
struct sim_val *sim_v_null(struct sim_ps *ps);
struct sim_val *sim_v_bool(struct sim_ps *ps, int b);
struct sim_val *sim_v_int(struct sim_ps *ps, int64_t i);
struct sim_val *sim_v_str(struct sim_ps *ps, const char *s);
struct sim_val *sim_v_strf(struct sim_ps *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
struct sim_val *sim_v_date(struct sim_ps *ps, int64_t t);
struct sim_val *sim_v_arr(struct sim_ps *ps);
struct sim_val *sim_v_obj(struct sim_ps *ps, const char *type, const char *view);
void sim_v_push(struct sim_ps *ps, struct sim_val *arr, struct sim_val *v);
void sim_v_set(struct sim_ps *ps, struct sim_val *obj, const char *name, struct sim_val *v);
struct sim_val *sim_v_get(const struct sim_val *obj, const char *name); /* NULL if absent */

/* Conversions as PowerShell does them. */
const char *sim_v_tostr(struct sim_ps *ps, const struct sim_val *v);
int sim_v_truthy(const struct sim_val *v);
int sim_v_toint(const struct sim_val *v, int64_t *out);

/* Call arguments: -Name VALUE (case-insensitive, unique prefixes accepted). */
struct sim_val *sim_call_param(const struct sim_call *c, const char *name);
int sim_call_switch(const struct sim_call *c, const char *name);
struct sim_val *sim_call_pos(const struct sim_call *c, size_t i);
const char *sim_call_str(struct sim_ps *ps, const struct sim_call *c, const char *name, size_t pos);

/* Renders values as PowerShell's default formatter would (tables, lists). */
void sim_ps_format(struct sim_ps *ps, struct ro_buf *b, const struct sim_val *v);

/* Formats a virtual time as PowerShell's en-US DateTime ("10/5/2026 9:12:03 AM"). */
void sim_ps_datestr(const struct sim_ps *ps, int64_t t, char *out, size_t n);

#endif
