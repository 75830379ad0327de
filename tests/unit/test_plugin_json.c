/* test_plugin_json.c: JSON <-> Lua for plugin parameters, statements and
 * report results (plugins/luajson.c), and completion expiry dates
 * (server/completions.c). */
#include <stdlib.h>
#include <time.h>

#include <lauxlib.h>
#include <lualib.h>

#include "completions.h"
#include "luajson.h"
#include "unit.h"

static json_t *roundtrip(lua_State *L, const char *text, char *err, size_t errlen)
{
	json_t *in = json_loads(text, JSON_DECODE_ANY, NULL);
	CHECK(in != NULL);
	CHECK(plugin_json_push(L, in) == 0);
	json_decref(in);
	json_t *out = plugin_json_from_lua(L, -1, err, errlen);
	lua_settop(L, 0);
	return out;
}

static void check_same(lua_State *L, const char *text, const char *want)
{
	char err[128];
	json_t *out = roundtrip(L, text, err, sizeof(err));
	char *got = out ? json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
	CHECK_STR(got, want);
	free(got);
	json_decref(out);
}

static void test_roundtrip(void)
{
	lua_State *L = luaL_newstate();
	check_same(L, "{\"a\": 1, \"b\": [1, 2.5, \"x\", true, false], \"c\": {\"d\": {}}}",
		   "{\"a\":1,\"b\":[1,2.5,\"x\",true,false],\"c\":{\"d\":[]}}");
	/* null leaves a field out */
	check_same(L, "{\"a\": null, \"b\": 2}", "{\"b\":2}");
	check_same(L, "[]", "[]");
	check_same(L, "\"bl\\u00e5b\\u00e6r\"", "\"bl\xc3\xa5" "b\xc3\xa6r\"");
	lua_close(L);
}

static json_t *from_lua(lua_State *L, const char *expr, char *err, size_t errlen)
{
	char src[512];
	snprintf(src, sizeof(src), "return %s", expr);
	CHECK(luaL_dostring(L, src) == 0);
	json_t *out = plugin_json_from_lua(L, -1, err, errlen);
	lua_settop(L, 0);
	return out;
}

static void test_from_lua(void)
{
	char err[128];
	lua_State *L = luaL_newstate();
	luaL_openlibs(L);
	json_t *j = from_lua(L, "{ [1] = 'a', [2] = 'b' }", err, sizeof(err));
	CHECK(json_is_array(j) && json_array_size(j) == 2);
	json_decref(j);
	j = from_lua(L, "{ [1] = 'a', [3] = 'c' }", err, sizeof(err));
	CHECK(json_is_object(j) && json_object_get(j, "3") != NULL);
	json_decref(j);
	j = from_lua(L, "{ n = 1 // 1, f = 0.5 }", err, sizeof(err));
	CHECK(json_is_integer(json_object_get(j, "n")) && json_is_real(json_object_get(j, "f")));
	json_decref(j);
	/* A metatable never runs: fields come from the table itself. */
	j = from_lua(L, "setmetatable({ a = 1 }, { __index = function() error('ran') end,"
			" __pairs = function() error('ran') end })", err, sizeof(err));
	CHECK(j && json_object_size(j) == 1);
	json_decref(j);

	const char *refused[][2] = {
		{ "{ f = print }", "function" },
		{ "0/0", "not finite" },
		{ "1/0", "not finite" },
		{ "'\\xff\\xfe'", "UTF-8" },
		{ "{ [true] = 1 }", "keys" },
		{ "{ [1.5] = 1 }", "keys" },
		{ "(function() local t = {} t.t = t return t end)()", "deep" },
		{ "(function() local t = {} for i = 1, 70 do t = { t } end return t end)()", "deep" },
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		err[0] = '\0';
		j = from_lua(L, refused[i][0], err, sizeof(err));
		CHECK(j == NULL);
		if (!strstr(err, refused[i][1]))
			printf("#   %s: %s\n", refused[i][0], err);
		CHECK(strstr(err, refused[i][1]) != NULL);
	}
	/* Too deep to push is refused without a Lua error. */
	char deep[400] = "";
	for (int i = 0; i < 70; i++)
		strcat(deep, "[");
	for (int i = 0; i < 70; i++)
		strcat(deep, "]");
	json_t *in = json_loads(deep, 0, NULL);
	CHECK(in != NULL);
	CHECK(plugin_json_push(L, in) == -1);
	CHECK(lua_gettop(L) == 0);
	json_decref(in);
	lua_close(L);
}

static long long at(const char *iso)
{
	struct tm tm = { 0 };
	CHECK(strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm) != NULL);
	return (long long)timegm(&tm) * 1000;
}

static void test_expiry(void)
{
	CHECK(completions_expiry_ms(at("2025-03-10T08:00:00") + 250, 12) == at("2026-03-10T08:00:00") + 250);
	CHECK(completions_expiry_ms(at("2024-02-29T12:00:00"), 12) == at("2025-03-01T12:00:00"));
	CHECK(completions_expiry_ms(at("2025-01-31T00:00:00"), 1) == at("2025-03-03T00:00:00"));
	CHECK(completions_expiry_ms(at("2025-11-15T23:59:59"), 3) == at("2026-02-15T23:59:59"));
	CHECK(completions_expiry_ms(at("2025-06-01T00:00:00"), 0) == at("2025-06-01T00:00:00"));
}

int main(void)
{
	UNIT_RUN(test_roundtrip);
	UNIT_RUN(test_from_lua);
	UNIT_RUN(test_expiry);
	return unit_done();
}
