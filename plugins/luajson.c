/* luajson.c: converting between jansson values and Lua values (see
 * luajson.h). Both directions run on the host side of a sandbox call, so
 * they must not raise Lua errors: depth is bounded, the stack is grown
 * with lua_checkstack, and Lua tables are walked with raw access. */
#include "luajson.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

#define MAX_NODES 2000000  /* values in one converted result */

static int push_value(lua_State *L, const json_t *v, int depth)
{
	if (depth > PLUGIN_JSON_MAX_DEPTH || !lua_checkstack(L, 4))
		return -1;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *child;
		lua_createtable(L, 0, (int)json_object_size(v));
		json_object_foreach((json_t *)v, key, child) {
			if (json_is_null(child))
				continue;
			if (push_value(L, child, depth + 1) != 0) {
				lua_pop(L, 1);
				return -1;
			}
			lua_setfield(L, -2, key);
		}
		return 0;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *child;
		lua_createtable(L, (int)json_array_size(v), 0);
		json_array_foreach(v, i, child) {
			if (json_is_null(child))
				continue;
			if (push_value(L, child, depth + 1) != 0) {
				lua_pop(L, 1);
				return -1;
			}
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		return 0;
	}
	case JSON_STRING:
		lua_pushlstring(L, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER:
		lua_pushinteger(L, (lua_Integer)json_integer_value(v));
		return 0;
	case JSON_REAL:
		lua_pushnumber(L, json_real_value(v));
		return 0;
	case JSON_TRUE:
	case JSON_FALSE:
		lua_pushboolean(L, json_is_true(v));
		return 0;
	default:
		lua_pushnil(L);
		return 0;
	}
}

int plugin_json_push(lua_State *L, const json_t *v)
{
	if (!v) {
		lua_pushnil(L);
		return 0;
	}
	return push_value(L, v, 0);
}

struct conv {
	char *err;
	size_t errsize;
	long nodes;
};

static json_t *to_json(lua_State *L, int idx, int depth, struct conv *cv);

static json_t *fail(struct conv *cv, const char *msg)
{
	snprintf(cv->err, cv->errsize, "%s", msg);
	return NULL;
}

static json_t *string_json(lua_State *L, int idx, struct conv *cv)
{
	size_t len;
	const char *s = lua_tolstring(L, idx, &len);
	if (!utf8_valid(s, len))
		return fail(cv, "a string is not valid UTF-8");
	json_t *j = json_stringn(s, len);
	return j ? j : fail(cv, "out of memory");
}

/* 1 when the table at idx has exactly the keys 1..n (n may be 0). */
static int is_array(lua_State *L, int idx)
{
	lua_Unsigned n = lua_rawlen(L, idx), keys = 0;
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		lua_pop(L, 1);
		if (!lua_isinteger(L, -1)) {
			lua_pop(L, 1);
			return 0;
		}
		lua_Integer k = lua_tointeger(L, -1);
		if (k < 1 || (lua_Unsigned)k > n) {
			lua_pop(L, 1);
			return 0;
		}
		keys++;
	}
	return keys == n;
}

static json_t *table_json(lua_State *L, int idx, int depth, struct conv *cv)
{
	if (depth > PLUGIN_JSON_MAX_DEPTH)
		return fail(cv, "tables nest too deep (or refer to themselves)");
	if (!lua_checkstack(L, 6))
		return fail(cv, "out of memory");
	if (is_array(L, idx)) {
		json_t *arr = json_array();
		lua_Unsigned n = lua_rawlen(L, idx);
		for (lua_Unsigned i = 1; arr && i <= n; i++) {
			lua_rawgeti(L, idx, (lua_Integer)i);
			json_t *v = to_json(L, lua_gettop(L), depth + 1, cv);
			lua_pop(L, 1);
			if (!v || json_array_append_new(arr, v) != 0) {
				json_decref(arr);
				return v ? fail(cv, "out of memory") : NULL;
			}
		}
		return arr ? arr : fail(cv, "out of memory");
	}
	json_t *obj = json_object();
	if (!obj)
		return fail(cv, "out of memory");
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		char numkey[32];
		const char *key;
		size_t klen;
		if (lua_type(L, -2) == LUA_TSTRING) {
			key = lua_tolstring(L, -2, &klen);
			if (!utf8_valid(key, klen) || strlen(key) != klen) {
				lua_pop(L, 2);
				json_decref(obj);
				return fail(cv, "a table key is not valid UTF-8 text");
			}
		} else if (lua_isinteger(L, -2)) {
			snprintf(numkey, sizeof(numkey), "%lld", (long long)lua_tointeger(L, -2));
			key = numkey;
		} else {
			lua_pop(L, 2);
			json_decref(obj);
			return fail(cv, "table keys must be strings or whole numbers");
		}
		json_t *v = to_json(L, lua_gettop(L), depth + 1, cv);
		lua_pop(L, 1);
		if (!v || json_object_set_new(obj, key, v) != 0) {
			lua_pop(L, 1);
			json_decref(obj);
			return v ? fail(cv, "out of memory") : NULL;
		}
	}
	return obj;
}

static json_t *to_json(lua_State *L, int idx, int depth, struct conv *cv)
{
	if (++cv->nodes > MAX_NODES)
		return fail(cv, "the result has too many values");
	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		return json_null();
	case LUA_TBOOLEAN:
		return json_boolean(lua_toboolean(L, idx));
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			return json_integer((json_int_t)lua_tointeger(L, idx));
		if (!isfinite(lua_tonumber(L, idx)))
			return fail(cv, "a number is not finite (NaN or infinity)");
		return json_real(lua_tonumber(L, idx));
	case LUA_TSTRING:
		return string_json(L, idx, cv);
	case LUA_TTABLE:
		return table_json(L, idx, depth, cv);
	default: {
		char msg[64];
		snprintf(msg, sizeof(msg), "a %s cannot be turned into JSON", lua_typename(L, lua_type(L, idx)));
		return fail(cv, msg);
	}
	}
}

json_t *plugin_json_from_lua(lua_State *L, int idx, char *err, size_t errsize)
{
	struct conv cv = { err, errsize, 0 };
	return to_json(L, lua_absindex(L, idx), 0, &cv);
}
