/* routes.h: the routing table, in one place (routes.c). */
#ifndef VERN_ROUTES_H
#define VERN_ROUTES_H

#include "http.h"

/* Terminated by an entry with a NULL pattern. First match wins. */
extern const struct http_route routes[];

#endif
