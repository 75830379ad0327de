/* luajson.h: JSON values as Lua tables and back (report parameters and
 * results, statements given to on_statement, plugin status). */
#ifndef VERN_PLUGIN_LUAJSON_H
#define VERN_PLUGIN_LUAJSON_H

#include <stddef.h>

#include <jansson.h>
#include <lua.h>

/* Deepest nesting converted either way. */
#define PLUGIN_JSON_MAX_DEPTH 64

/* Pushes v as a Lua value: objects and arrays become tables, null becomes
 * nil (a field left out). Returns 0, or -1 (nothing pushed) when v nests
 * deeper than PLUGIN_JSON_MAX_DEPTH. */
int plugin_json_push(lua_State *L, const json_t *v);

/* The Lua value at idx as JSON, read with raw access only (no metamethod
 * runs). A table whose keys are exactly 1..n is an array (an empty table
 * is []); other tables need string (or integer) keys. Functions,
 * userdata, NaN, invalid UTF-8, cycles and too deep nesting are refused.
 * Returns a new reference, or NULL with err set. */
json_t *plugin_json_from_lua(lua_State *L, int idx, char *err, size_t errsize);

#endif
