// SPDX-License-Identifier: GPL-2.0
#include "vufront_test.h"
int vt_suite_hostile(struct vt *t)
{
	return 0;
}
