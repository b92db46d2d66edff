#!/usr/bin/env bash
# docs/configuration.md carries the option table generated from the same
# table the parser uses; it must match what this build prints.
source "$(dirname "$0")/lib.sh"
want=$("$SLUICE" --config-markdown)
have=$(sed -n '/<!-- options:begin -->/,/<!-- options:end -->/p' "$ROOT/docs/configuration.md" |
	sed '1d;$d')
check "docs/configuration.md option table is current (regenerate with: sluice --config-markdown)" \
	test "$want" = "$have"
help=$("$SLUICE" --help)
check "sluice --help lists every option" \
	bash -c "for o in \$(echo \"\$1\" | awk -F'\`' '/^\| \`/ {print \$2}'); do echo \"\$2\" | grep -q -- \"--\$o \" || exit 1; done" _ "$want" "$help"
sl_finish
