/*
 * mtnlib.h: what the mountain's tests (t53NN) share, on top of caselib.h.
 */
#ifndef GUICHET_MTNLIB_H
#define GUICHET_MTNLIB_H

#include "caselib.h"

/*
 * Who acts on the mountain, as access tokens: the demo's lift operator
 * (a partner client holding lifts:write), the demo resident, the
 * supervisor of remontees_mecaniques and an agent of another department
 * (services_techniques), both with their second factor.
 */
struct mtn_cast {
	char	*op, *res, *chief, *tech;
};

/* The tokens of the cast on 'e''s server. */
void	 mtn_cast(struct idenv *, struct mtn_cast *);
/* Free them and stop the server. */
void	 mtn_cast_end(struct idenv *, struct mtn_cast *);

#endif
