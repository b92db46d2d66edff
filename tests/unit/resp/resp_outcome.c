/*
 * Test helper for redis_diff.py: parse stdin as one client byte stream with
 * Redis's default limits and print what the parser made of it:
 *   line 1: number of requests returned
 *   line 2: "AGAIN" or "ERR <error text>" or "CLOSE <code>"
 * Usage: resp_outcome auth|noauth < stream
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/resp/resp.h"

int main(int argc, char **argv)
{
	struct sl_resp_limits lim;
	struct sl_resp_parser p;
	size_t cap = 1 << 16, len = 0, off = 0, n;
	char *buf = malloc(cap);
	long reqs = 0;

	if (buf == NULL || argc != 2)
		return 2;
	while ((n = fread(buf + len, 1, cap - len, stdin)) > 0) {
		len += n;
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (buf == NULL)
				return 2;
		}
	}
	sl_resp_limits_default(&lim);
	sl_resp_parser_init(&p, &lim, NULL);
	sl_resp_parser_set_auth(&p, strcmp(argv[1], "auth") == 0);
	for (;;) {
		size_t used;
		enum sl_resp_status st = sl_resp_parse(&p, buf + off, len - off, &used);

		off += used;
		if (st == SL_RESP_OK) {
			reqs++;
			continue;
		}
		printf("%ld\n", reqs);
		if (st == SL_RESP_AGAIN)
			printf("AGAIN\n");
		else if (sl_resp_parser_error(&p) != NULL)
			printf("ERR %s\n", sl_resp_parser_error(&p));
		else
			printf("CLOSE %d\n", (int)sl_resp_parser_errcode(&p));
		break;
	}
	sl_resp_parser_deinit(&p);
	free(buf);
	return 0;
}
