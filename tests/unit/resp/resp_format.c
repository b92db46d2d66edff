/*
 * Test helper for redis_diff.py: for each input line "<kind> <proto> <text>"
 * print, as hex, the reply the writer produces:
 *   kind D: sl_resp_write_double(strtod(text))            (ZSCORE)
 *   kind L: bulk of sl_resp_format_human_long_double(strtold(text))
 *           (INCRBYFLOAT key 0 after SET key text)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/resp/resp.h"

int main(void)
{
	char line[8192];

	while (fgets(line, sizeof(line), stdin) != NULL) {
		struct sl_resp_out o;
		struct iovec iov[16];
		char kind, text[8000], buf[SL_RESP_LD_MAX];
		int proto;
		size_t n;

		if (sscanf(line, "%c %d %7999s", &kind, &proto, text) != 3)
			return 2;
		sl_resp_out_init(&o, NULL);
		if (sl_resp_out_set_proto(&o, proto) != 0)
			return 2;
		if (kind == 'D') {
			sl_resp_write_double(&o, strtod(text, NULL));
		} else {
			n = sl_resp_format_human_long_double(buf, strtold(text, NULL) + 0.0L);
			sl_resp_write_bulk(&o, buf, n);
		}
		n = sl_resp_out_peek(&o, iov, 16);
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < iov[i].iov_len; k++)
				printf("%02x", ((unsigned char *)iov[i].iov_base)[k]);
		printf("\n");
		sl_resp_out_deinit(&o);
	}
	return 0;
}
