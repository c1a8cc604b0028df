/* The FreeBSD headers both layout.c and vectors.c are compiled against. */
#ifndef IFADDR_FREEBSD_COMMON_H
#define IFADDR_FREEBSD_COMMON_H

#include <sys/types.h>
#include <sys/param.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/sockio.h>
#include <sys/sysctl.h>
#include <sys/jail.h>
#include <stddef.h>
#include <stdint.h>

#include <net/if.h>
#include <net/if_dl.h>
#include <net/if_types.h>
#include <net/route.h>
#include <net/bpf.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <netinet/in_var.h>
#include <netinet6/in6_var.h>
#include <netinet6/nd6.h>

#endif
