/* sandbox.h: the Lua 5.4 runtime a plugin runs in.
 *
 * Each plugin gets its own lua_State with a memory cap (a custom allocator),
 * an instruction budget per call (a count hook) and a reduced library: base
 * (without dofile, loadfile, print; load takes text only; collectgarbage
 * answers "count" only; setmetatable refuses __gc), string (without dump),
 * table, math, utf8, and os.time/os.date/os.clock. No io, package, require or
 * debug. Every error from the plugin (runtime, syntax, memory, budget) is
 * caught and comes back as text in err; the state stays usable.
 *
 * What Lua may call in Vern (the plugin API) is registered by its owner
 * through sandbox_lua(); this file only owns the walls. A sandbox is used by
 * one thread at a time. */
#ifndef VERN_SANDBOX_H
#define VERN_SANDBOX_H

#include <stddef.h>

#include <lua.h>

struct sandbox;

struct sandbox_limits {
	size_t memory_bytes;  /* cap on the state's live heap, > 0 */
	long instructions;    /* VM instructions per load or call, > 0;
			       * every 64 bytes allocated count as one */
	long time_ms;         /* wall-clock time per load or call; 0: none */
};

/* Creates a sandbox named name (at most 63 bytes, used in messages and by
 * sandbox_name). Returns NULL with err set if a limit is zero, the name is
 * too long, or the libraries do not fit in memory_bytes. Free with
 * sandbox_free. */
struct sandbox *sandbox_new(const char *name, struct sandbox_limits lim,
			    char *err, size_t errlen);

/* Closes the state and frees everything. NULL is allowed. */
void sandbox_free(struct sandbox *sb);

/* The state, to register API functions or push a function and its
 * arguments before sandbox_call. The memory cap is enforced only while
 * sandboxed code runs (load, call), so host-side pushes are never refused
 * and cannot raise an unprotected error. */
lua_State *sandbox_lua(struct sandbox *sb);

/* Changes the budget of the next outermost load or call (instructions > 0;
 * time_ms 0 means no time limit). */
void sandbox_set_budget(struct sandbox *sb, long instructions, long time_ms);

/* Charges work done outside the VM (an API function reading rows) to the
 * budget of the call under way. Returns 0, or -1 once the instruction or
 * time budget is spent: the caller then raises an error with
 * sandbox_budget_error, which no pcall in the script can catch. */
int sandbox_charge(struct sandbox *sb, long instructions);
int sandbox_budget_error(lua_State *L);

/* A pointer the owner keeps with the sandbox (the plugin state). */
void sandbox_set_user(struct sandbox *sb, void *user);
void *sandbox_user(const struct sandbox *sb);

/* The sandbox that owns L (any API function can find its plugin), and its
 * name. */
struct sandbox *sandbox_of(lua_State *L);
const char *sandbox_name(const struct sandbox *sb);

/* Reads a Lua source file (binary chunks are refused), names the chunk
 * "@plugins/<basename of path>" and runs it under the budget. Returns 0, or
 * -1 with err set ("plugins/x.lua:3: ..." for errors inside the file). The
 * stack is left as it was. */
int sandbox_load_file(struct sandbox *sb, const char *path, char *err,
		      size_t errlen);

/* The same, keeping nresults values the file returns on the stack (on
 * success only). */
int sandbox_run_file(struct sandbox *sb, const char *path, int nresults, char *err,
		     size_t errlen);

/* Same for source held in memory; chunkname as for lua_load ("@file" or
 * "=name"). */
int sandbox_load_string(struct sandbox *sb, const char *chunkname,
			const char *src, size_t len, char *err, size_t errlen);

/* Calls the function below nargs pushed arguments, like lua_pcall, under a
 * fresh instruction budget and the memory cap. Returns 0 with nresults
 * values pushed (LUA_MULTRET allowed), or -1 with err set and nothing
 * pushed; either way the function and arguments are popped. Called again
 * from inside a call (an API function calling back into Lua), it shares the
 * outer call's budget. */
int sandbox_call(struct sandbox *sb, int nargs, int nresults, char *err,
		 size_t errlen);

#endif
