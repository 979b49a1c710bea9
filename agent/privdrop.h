/*
 * privdrop — started as root, become agent.user before any thread exists.
 *
 * The agent needs root for two things only: opening capture handles and
 * binding privileged ports. Both happen while its inputs are created. Right
 * after that, and before the detector, the forwarder or librdkafka start a
 * thread, soc_privdrop changes to agent.user / agent.group and keeps at most
 * CAP_NET_RAW (only when a pcap input captures from an interface: a live
 * handle may have to be re-opened after an interface comes back). Because
 * no thread exists yet, every later thread inherits the same ids and
 * capabilities; there is no moment where one thread is root and another
 * is not.
 *
 * Ownership: borrows cfg; keeps nothing.
 */
#ifndef SOC_AGENT_PRIVDROP_H
#define SOC_AGENT_PRIVDROP_H

#include "soc/config.h"

/* Does nothing (returns 0) without agent.user or when not running as root.
 * Otherwise gives the state folder and the store's files to the user (they
 * may have been created by root just before), changes ids, drops every
 * other capability from the bounding, permitted, effective and ambient
 * sets, and checks that root can not be regained. Returns 0 or a negative
 * errno, with the reason printed; the caller must then exit. */
int soc_privdrop(const soc_config *cfg);

#endif
