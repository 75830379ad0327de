/* fuzz_sandbox.c: libFuzzer target for the plugin sandbox
 * (plugins/sandbox.c) and the JSON <-> Lua conversion (plugins/luajson.c).
 * The input is Lua source run in a sandbox with a small memory cap and
 * budget; whatever it returns is turned into JSON and back. Nothing may
 * crash, leak or escape the caps, and the state must stay usable. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lua.h>

#include "luajson.h"
#include "sandbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct sandbox_limits lim = { 4 << 20, 200000, 0 };
	struct sandbox *sb = sandbox_new("fuzz", lim, err, sizeof(err));
	if (!sb)
		abort();
	lua_State *L = sandbox_lua(sb);
	if (sandbox_load_string(sb, "=fuzz", (const char *)data, size, err, sizeof(err)) == 0) {
		/* Run it again as a function returning a value, and convert that. */
		lua_settop(L, 0);
	}
	static const char prefix[] = "return ";
	char *src = malloc(sizeof(prefix) + size);
	if (!src)
		abort();
	memcpy(src, prefix, sizeof(prefix) - 1);
	memcpy(src + sizeof(prefix) - 1, data, size);
	if (sandbox_load_string(sb, "=fuzz", src, sizeof(prefix) - 1 + size, err, sizeof(err)) == 0)
		lua_settop(L, 0);
	free(src);
	/* Convert a table built by the input, if the input defines one. */
	lua_getglobal(L, "t");
	json_t *j = plugin_json_from_lua(L, -1, err, sizeof(err));
	lua_settop(L, 0);
	if (j) {
		if (plugin_json_push(L, j) == 0) {
			json_t *again = plugin_json_from_lua(L, -1, err, sizeof(err));
			json_decref(again);
		}
		lua_settop(L, 0);
		json_decref(j);
	}
	/* Still usable. */
	if (sandbox_load_string(sb, "=ok", "x = 1 + 1", 9, err, sizeof(err)) != 0)
		abort();
	sandbox_free(sb);
	return 0;
}
