/* formctl export: the applicant CSV from the command line (to be written with exports/export.c). */
#include <stdio.h>

#include "formctl.h"

int
cmd_export(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "formctl: export is not available yet\n");
	return 1;
}
