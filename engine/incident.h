/*
 * incident.h - the service-level clock of an incident: which target applies
 * to a fault of a given kind instructed at a given instant, on the office
 * calendar (docs/INCIDENTS.md gives the rules, their source in the
 * specification and the reading chosen where it is silent).
 *
 * Instants here are calendar instants: minutes since 1970-01-01T00:00Z
 * (calendar.h). The store keeps seconds; callers convert.
 */
#ifndef RO_INCIDENT_H
#define RO_INCIDENT_H

#include <stddef.h>
#include <stdint.h>

struct ro_calendar;

enum ro_incident_kind {
	RO_INC_CS = 0,       /* the CS server: 90 / 180 minutes */
	RO_INC_TERMINAL,     /* an integrated terminal: next working day, morning */
	RO_INC_TOUCH_PANEL,  /* a terminal's touch panel: same day, else next opening */
};

/* ro_incident_kind_parse reads "cs", "terminal" or "touch-panel".
 * Returns 0 or RO_EINVAL. */
int ro_incident_kind_parse(const char *s, enum ro_incident_kind *out);

/* ro_incident_kind_name returns "cs", "terminal" or "touch-panel". */
const char *ro_incident_kind_name(enum ro_incident_kind kind);

/* ro_incident_kind_ja returns the specification's name ("CS", "統合端末"...). */
const char *ro_incident_kind_ja(enum ro_incident_kind kind);

struct ro_sla {
	int64_t deadline; /* the latest instant work on site may start (minutes) */
	int in_hours;     /* 1 if the instruction came in working time */
	const char *rule; /* a static sentence naming the rule that applied */
};

/*
 * ro_incident_deadline computes the on-site deadline of an incident of kind
 * whose instruction came at instructed (minutes), on cal's working days and
 * default hours. It is pure: the same calendar and arguments always give
 * the same answer. Returns 0, or RO_EINVAL when instructed or the deadline
 * lies outside the calendar's range or kind is unknown.
 */
int ro_incident_deadline(const struct ro_calendar *cal, enum ro_incident_kind kind,
    int64_t instructed, struct ro_sla *out);

/*
 * ro_incident_clock writes what an incident's clock shows at now (all Unix
 * seconds; arrived is INT64_MIN when nobody is on site yet): "1h 05m left"
 * or "BREACHED by 25m" before arrival, "met (10m to spare)" or "missed by
 * 25m" after it. Spans round up to the minute. Returns 1 when the target is
 * (or was) missed, else 0.
 */
int ro_incident_clock(int64_t deadline, int64_t arrived, int64_t now, char *out, size_t cap);

#endif
