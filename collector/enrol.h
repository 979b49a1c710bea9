/*
 * enrol — who may speak at the center (docs/SECURITY.md): the center's own
 * key pair, which signs its decisions, and the operator's commands that
 * enrol an agent's key, revoke it, and list enrolled, revoked and pending
 * keys.
 *
 *   soccollector key
 *   soccollector enroll AGENT-ID --key PUBKEY --agency AGENCY [--by NAME]
 *   soccollector revoke AGENT-ID [--by NAME]
 *
 * Every enrolment and revocation records the name given (--by, default the
 * operating-system user) and the operating-system user who ran it.
 */
#ifndef SOC_COLLECTOR_ENROL_H
#define SOC_COLLECTOR_ENROL_H

#include <json.h>

#include "soc/config.h"
#include "soc/sign.h"
#include "centerdb.h"
#include "soc/store_center.h"

/* The center's key, state_dir/center.key (0600), made when create is set
 * and there is none. OUT: *out, owned by the caller. Problems printed. */
int soc_center_key_load(const soc_collector_config *cfg, int create, soc_sign_key **out);
/* key, enroll or revoke: the exit status; -1 when argv[0] is none of them. */
int soc_enrol_command(const soc_collector_config *cfg, int argc, char **argv);
/* The enrolments and pending keys under the agents' heartbeats: printed as a
 * table, or added to json as "keys" when json is not NULL. */
int soc_enrol_list(soc_centerdb *db, fjson_object *json);

#endif
