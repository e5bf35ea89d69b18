#include <check.h>
TCase *tcase_netns(void)
{
	TCase *tc = tcase_create("netns");
	return tc;
}
