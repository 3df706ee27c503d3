// SPDX-License-Identifier: GPL-2.0
/*
 * tc_endpoint with ct as a plain hash: an insert into a full table fails, so
 * the DROP_CT_FULL path can be tested (EndpointCtFullTest). The LRU table of
 * the real object evicts instead and never gets there in practice. Test only.
 */
#define EP_CT_MAP_TYPE	BPF_MAP_TYPE_HASH
#include "../tc_endpoint.c"
