/* outline.c: turns a parsed manifest into the outline JSON stored with each
 * course version (see outline.h). */
#include "outline.h"

#include <stdio.h>
#include <string.h>

#include "manifest.h"

int outline_activity_id(const char *course_activity, const char *kind, const char *id,
			char *buf, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	int n = snprintf(buf, size, "%s:%s:", course_activity, kind);
	if (n < 0 || (size_t)n >= size)
		return -1;
	size_t o = (size_t)n;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
		int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';
		if (o + (plain ? 1 : 3) >= size)
			return -1;
		if (plain) {
			buf[o++] = (char)*p;
		} else {
			buf[o++] = '%';
			buf[o++] = hex[*p >> 4];
			buf[o++] = hex[*p & 15];
		}
	}
	buf[o] = '\0';
	return 0;
}

static const char *type_name(const struct manifest_item *it)
{
	switch (it->node) {
	case MANIFEST_NODE_AU:
		return "au";
	case MANIFEST_NODE_BLOCK:
		return "block";
	case MANIFEST_NODE_ITEM:
		break;
	}
	if (it->scormtype == MANIFEST_TYPE_SCO)
		return "sco";
	if (it->scormtype == MANIFEST_TYPE_ASSET)
		return "asset";
	return "cluster";
}

static const char *move_on_name(enum manifest_move_on m)
{
	switch (m) {
	case MANIFEST_MOVEON_PASSED:
		return "Passed";
	case MANIFEST_MOVEON_COMPLETED:
		return "Completed";
	case MANIFEST_MOVEON_COMPLETED_AND_PASSED:
		return "CompletedAndPassed";
	case MANIFEST_MOVEON_COMPLETED_OR_PASSED:
		return "CompletedOrPassed";
	case MANIFEST_MOVEON_NOT_APPLICABLE:
		break;
	}
	return "NotApplicable";
}

static int set_str(json_t *o, const char *key, const char *value)
{
	json_t *s = json_string(value ? value : "");
	return s ? json_object_set_new(o, key, s) : -1;
}

static json_t *item_json(const struct manifest *m, const struct manifest_item *it,
			 const char *course_activity)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	const char *type = type_name(it);
	char activity[2048];
	const char *kind = it->node == MANIFEST_NODE_AU ? "au"
			 : it->node == MANIFEST_NODE_BLOCK ? "block" : "sco";
	if (outline_activity_id(course_activity, kind, it->identifier, activity, sizeof(activity)) != 0)
		activity[0] = '\0';
	int bad = set_str(o, "id", it->identifier) | set_str(o, "type", type) |
		  set_str(o, "title", it->title[0] ? it->title : it->identifier) |
		  set_str(o, "activity_id", activity) | set_str(o, "href", it->href) |
		  json_object_set_new(o, "depth", json_integer(it->depth)) |
		  json_object_set_new(o, "line", json_integer(it->line));
	if (it->href_external)
		bad |= json_object_set_new(o, "external", json_true());
	if (it->node == MANIFEST_NODE_ITEM) {
		bad |= json_object_set_new(o, "visible", json_boolean(it->visible));
		if (it->launch_data[0])
			bad |= set_str(o, "launch_data", it->launch_data);
		if (it->has_mastery_score)
			bad |= json_object_set_new(o, "mastery", json_real(it->mastery_score));
		if (m->kind == MANIFEST_SCORM2004) {
			bad |= json_object_set_new(o, "completion_threshold",
						   json_real(it->completion_threshold));
			bad |= json_object_set_new(o, "completed_by_measure",
						   json_boolean(it->completed_by_measure));
			if (it->satisfied_by_measure)
				bad |= json_object_set_new(o, "scaled_passing",
							   json_real(it->min_normalized_measure));
		}
	}
	if (it->node == MANIFEST_NODE_AU) {
		bad |= set_str(o, "move_on", move_on_name(it->move_on)) |
		       set_str(o, "launch_method",
			       it->launch_method == MANIFEST_LAUNCH_OWN_WINDOW ? "OwnWindow" : "AnyWindow") |
		       set_str(o, "launch_parameters", it->launch_parameters) |
		       set_str(o, "entitlement_key", it->entitlement_key) |
		       set_str(o, "activity_type", it->activity_type);
		if (it->has_mastery_score)
			bad |= json_object_set_new(o, "mastery", json_real(it->mastery_score));
	}
	if (bad || !activity[0]) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *outline_from_manifest(const struct manifest *m, const char *course_activity)
{
	json_t *arr = json_array();
	if (!arr)
		return NULL;
	for (int i = 0; i < m->nitems; i++) {
		json_t *o = item_json(m, &m->items[i], course_activity);
		if (!o || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

int outline_launchable(const json_t *item)
{
	const char *t = json_string_value(json_object_get(item, "type"));
	return t && (strcmp(t, "sco") == 0 || strcmp(t, "asset") == 0 || strcmp(t, "au") == 0);
}

int outline_index(const json_t *outline, const char *id)
{
	size_t i;
	json_t *it;
	json_array_foreach(outline, i, it) {
		const char *s = json_string_value(json_object_get(it, "id"));
		if (s && strcmp(s, id) == 0)
			return (int)i;
	}
	return -1;
}

json_t *outline_find(const json_t *outline, const char *id)
{
	int i = outline_index(outline, id);
	return i < 0 ? NULL : json_array_get(outline, (size_t)i);
}
