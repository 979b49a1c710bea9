/*
 * identity — the agent's own key pair, which signs everything it sends
 * (docs/SECURITY.md).
 *
 * The secret key is agent.state_dir/agent.key (0600), made at the first
 * start or by `socagent --print-key`; agent.key.pub beside it is what
 * `socctl key` shows without being able to read the secret. The center
 * accepts the agent's messages only once an operator has enrolled this
 * public key under the agent's id.
 */
#ifndef SOC_AGENT_IDENTITY_H
#define SOC_AGENT_IDENTITY_H

#include <stdio.h>

#include "soc/config.h"
#include "soc/sign.h"

/* Loads the agent's key, making it first when create is set and there is
 * none. OUT: *out, owned by the caller (soc_sign_key_free). Problems are
 * printed. Returns 0 or a negative errno. */
int soc_agent_key_load(const soc_config *cfg, int create, soc_sign_key **out);
/* Rotation (socagent --rotate-key): a new key pair replaces agent.key, and
 * the old key's signature of the new public key is kept in
 * agent.key.cert, which the forwarder sends with every message (key.cert
 * header) so that the center takes the new key without a person; the old
 * secret is gone. Returns 0 or a negative errno (printed). */
int soc_agent_key_rotate(const soc_config *cfg);
/* The certificate of k's public key from agent.key.cert into out
 * (SOC_SIGN_SIG_TEXT + 1 bytes); "" when there is none for k. */
void soc_agent_key_cert(const soc_config *cfg, const soc_sign_key *k, char *out);
/* The public key, its fingerprint and the command that enrols it at the
 * center, for an operator to copy. */
void soc_agent_key_print(const soc_config *cfg, const soc_sign_pub *pub, FILE *out);
/* What `socctl key` shows: from the .pub file alone. Returns 0 or a
 * negative errno (printed). */
int soc_agent_pub_load(const soc_config *cfg, soc_sign_pub *out);

#endif
