/*
 * mtnlib.c: what the mountain's tests share (mtnlib.h).
 */
#include <stdlib.h>

#include "mtnlib.h"

void
mtn_cast(struct idenv *e, struct mtn_cast *c)
{
	c->op = idl_operator_token(e);
	c->res = cl_resident(e);
	c->chief = cl_agent(e, CL_LIFT_CHIEF);
	c->tech = cl_agent(e, CL_TECH);
}

void
mtn_cast_end(struct idenv *e, struct mtn_cast *c)
{
	free(c->op);
	free(c->res);
	free(c->chief);
	free(c->tech);
	idl_stop(e);
}
