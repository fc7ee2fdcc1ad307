/* test_template.c - the shipped workshop template, word for word, and the loader's errors.
 *
 * Run from the repository root (paths are relative to it). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "bot/err.h"
#include "prompts/template.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHIPPED "prompts/community-engagement.json"
#define FIXTURES "tests/data/templates"

/* The guide's own characters, spelled out so that an editor cannot change them. */
#define EN_DASH "\xe2\x80\x93"
#define RSQUO "\xe2\x80\x99"

/* ---- the shipped template ------------------------------------------------------------ */

static int load_shipped(void **state)
{
	struct template *t = NULL;
	char err[BOT_ERRMSG_MAX] = "";
	int rc = template_load_file(SHIPPED, &t, err, sizeof(err));

	if (rc != 0)
		print_error("%s\n", err);
	*state = t;
	return rc;
}

static int free_shipped(void **state)
{
	template_free(*state);
	return 0;
}

static void test_shipped_header(void **state)
{
	const struct template *t = *state;

	assert_string_equal(t->id, "community-engagement");
	assert_string_equal(t->title, "Community Engagement: Serving Diverse Communities Where "
			    "They Are " EN_DASH " Learner Guide");
	assert_string_equal(t->description,
		"In this interactive session, we will explore what it means to provide inclusive "
		"outreach to and engagement with members of your local community. How do you "
		"identify the needs of the diverse communities your library is serving? What are "
		"effective approaches for community engagement, and how do you apply what you learn "
		"along the way to improve your practice? Come prepared with a challenge or "
		"opportunity from your own community that you would like to workshop with your "
		"peers during the webinar. You will also leave with a framework and action plan for "
		"cultivating partnerships for successful community engagement.");
	assert_string_equal(t->presenters,
		"CiKeithia Pugh, Early Learning Program Manager; Hayden Bass, Outreach Program "
		"Manager; and Rekha Kuver, Youth & Family Learning Manager, all of Seattle Public "
		"Library.");
}

static void test_shipped_sections(void **state)
{
	static const struct { const char *id, *title; } want[] = {
		{ "goals", "What are your goals for viewing this webinar?" },
		{ "key-terms", "Key terms used today " EN_DASH " what is new to you?" },
		{ "best-practices", "Community engagement best practices:" },
		{ "question", "Question to Consider/Discuss" },
		{ "workshop-it", "Activity: Workshop it! Before approaching a potential community "
		  "partner, consider:" },
		{ "action-plan", "Action Plan: (include next steps, who, when, etc.)" },
		{ "notes", "Notes:" },
	};
	const struct template *t = *state;

	assert_int_equal(t->n_sections, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < t->n_sections; i++) {
		assert_string_equal(t->sections[i].id, want[i].id);
		assert_string_equal(t->sections[i].title, want[i].title);
	}
}

struct want_prompt {
	const char *id;
	enum prompt_kind kind;
	const char *section;
	const char *title;
	const char *text;
};

static const struct want_prompt shipped_prompts[] = {
	{ "goals-personal", PROMPT_TEXT, "goals", "Personal Goals",
	  "What are your goals for viewing this webinar?" },
	{ "goals-team", PROMPT_TEXT, "goals", "Team Goals",
	  "What are your goals for viewing this webinar?" },
	{ "key-terms-intro", PROMPT_INFO, "key-terms", NULL,
	  "Review the following list of key terms. Check off the terms that you use within your "
	  "own work today. Which terms are new to you or your work today? How can you begin to "
	  "build these terms into your professional vocabulary?" },
	{ "key-terms-used", PROMPT_CHECKLIST, "key-terms", NULL,
	  "Check off the terms that you use within your own work today." },
	{ "key-terms-new", PROMPT_CHECKLIST, "key-terms", NULL,
	  "Which terms are new to you or your work today?" },
	{ "key-terms-vocabulary", PROMPT_TEXT, "key-terms", NULL,
	  "How can you begin to build these terms into your professional vocabulary?" },
	{ "best-practices-current", PROMPT_CHECKLIST, "best-practices", NULL,
	  "Which of these best practices does your team already practise?" },
	{ "best-practices-next", PROMPT_CHECKLIST, "best-practices", NULL,
	  "Which will your team work on next?" },
	{ "question-short-term", PROMPT_TEXT, "question", "Short term",
	  "What can you change to make community engagement possible at your library in the "
	  "short term? Long term?" },
	{ "question-long-term", PROMPT_TEXT, "question", "Long term",
	  "What can you change to make community engagement possible at your library in the "
	  "short term? Long term?" },
	{ "workshop-it-goals", PROMPT_TEXT, "workshop-it", NULL,
	  "What are your broad goals? (E.g., providing programs that are accessible and relevant "
	  "to Latino families; Increasing access to library services for people experiencing "
	  "homelessness)" },
	{ "workshop-it-team-strengths", PROMPT_TEXT, "workshop-it", NULL,
	  "What strengths and experience could you and your work team bring to this "
	  "partnership?" },
	{ "workshop-it-library-strengths", PROMPT_TEXT, "workshop-it", NULL,
	  "What strengths, experience, and resources in your library overall might you be able "
	  "to tap into?" },
	{ "workshop-it-gaps", PROMPT_TEXT, "workshop-it", NULL,
	  "Looking at your list of team/library strengths, where are the gaps? What other "
	  "knowledge, skills, experiences, or resources will you need to be successful, that "
	  "partners might be able to contribute?" },
	{ "workshop-it-connections", PROMPT_TEXT, "workshop-it", NULL,
	  "What connections does your team or the library already have with potential "
	  "partners?" },
	{ "workshop-it-starter-list", PROMPT_TEXT, "workshop-it", NULL,
	  "Make a starter list of orgs/people you" RSQUO "d like to talk to." },
	{ "workshop-it-communication", PROMPT_TEXT, "workshop-it", NULL,
	  "What is your plan for internal/external communication?" },
	{ "action-plan-resources", PROMPT_TEXT, "action-plan", NULL,
	  "What are your internal resources and assets?" },
	{ "action-plan-who-is-not-here", PROMPT_TEXT, "action-plan", NULL,
	  "Who is not at your library?" },
	{ "action-plan-where", PROMPT_TEXT, "action-plan", NULL,
	  "Where are they? Who is already working with them?" },
	{ "action-plan-approach", PROMPT_TEXT, "action-plan", NULL,
	  "How will you approach potential partners?" },
	{ "action-items", PROMPT_ACTION_ITEMS, "action-plan", "Action items",
	  "Add your action items: next steps, who, when." },
	{ "notes", PROMPT_TEXT, "notes", "Notes", "Anything else to note?" },
};

static void test_shipped_prompts_in_order(void **state)
{
	const struct template *t = *state;
	const size_t n = sizeof(shipped_prompts) / sizeof(shipped_prompts[0]);

	assert_int_equal(t->n_prompts, n);
	for (size_t i = 0; i < n; i++) {
		const struct want_prompt *w = &shipped_prompts[i];
		const struct prompt *p = &t->prompts[i];

		assert_string_equal(p->id, w->id);
		assert_int_equal(p->kind, w->kind);
		assert_true(p->section < t->n_sections);
		assert_string_equal(t->sections[p->section].id, w->section);
		if (w->title)
			assert_string_equal(p->title, w->title);
		else
			assert_null(p->title);
		assert_string_equal(p->text, w->text);
		assert_ptr_equal(template_prompt(t, w->id), p);
		assert_int_equal(template_prompt_index(t, w->id), (long)i);
		if (p->kind != PROMPT_CHECKLIST) {
			assert_null(p->options);
			assert_int_equal(p->n_options, 0);
			assert_null(p->tally);
			assert_int_equal(p->options_from, -1);
		}
	}
	assert_null(template_prompt(t, "no-such-prompt"));
	assert_int_equal(template_prompt_index(t, "no-such-prompt"), -1);
	assert_int_equal(template_prompt_index(t, NULL), -1);
}

/* How many prompts of kind k are in section sid. */
static size_t count_kind(const struct template *t, const char *sid, enum prompt_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n_prompts; i++) {
		if (t->prompts[i].kind == k && strcmp(t->sections[t->prompts[i].section].id,
						      sid) == 0)
			n++;
	}
	return n;
}

static void test_shipped_counts(void **state)
{
	const struct template *t = *state;

	assert_int_equal(count_kind(t, "goals", PROMPT_TEXT), 2);
	assert_int_equal(template_prompt(t, "key-terms-used")->n_options, 7);
	assert_int_equal(template_prompt(t, "key-terms-new")->n_options, 7);
	assert_int_equal(template_prompt(t, "best-practices-current")->n_options, 13);
	assert_int_equal(template_prompt(t, "best-practices-next")->n_options, 13);
	assert_int_equal(count_kind(t, "question", PROMPT_TEXT), 2);
	assert_int_equal(count_kind(t, "workshop-it", PROMPT_TEXT), 7);
	assert_int_equal(count_kind(t, "action-plan", PROMPT_TEXT), 4);
	assert_int_equal(count_kind(t, "action-plan", PROMPT_ACTION_ITEMS), 1);
	assert_int_equal(count_kind(t, "notes", PROMPT_TEXT), 1);
	/* the action items come after the four action-plan questions */
	assert_int_equal(template_prompt_index(t, "action-items"),
			 template_prompt_index(t, "action-plan-approach") + 1);
}

struct want_option {
	const char *label;
	const char *text;
};

static const struct want_option key_terms[] = {
	{ "Community analysis",
	  "Community analysis: Bringing together data & relationship building to create a "
	  "profile of your community" },
	{ "Marketing",
	  "Marketing: Promotion of the library and/or it" RSQUO "s programs & services; a "
	  "one-way communication" },
	{ "Outreach",
	  "Outreach: Providing library in the community & listening to needs/questions; a "
	  "two-way interaction" },
	{ "Community partnerships",
	  "Community partnerships: Creation of services collaboratively or in conversation with "
	  "the community, to further community goals; a rich relationship" },
	{ "Community engagement",
	  "Community engagement: The creation of library programs and services in dialogue and "
	  "partnership with the community, in order to reflect community needs and interests." },
	{ "Equity",
	  "Equity: The strategic use of resources to create opportunities for groups or "
	  "individuals that might otherwise be excluded as the result of systemic disparities." },
	{ "Equality",
	  "Equality: Providing equal access to resources, without consideration of how "
	  "accessible those resources may be to different groups or individuals." },
};

static const struct want_option best_practices[] = {
	{ "Internally assess gaps",
	  "Internally assess gaps in programming and opportunities to connect with communities. "
	  "What audiences are your programs and efforts currently reaching? Who are you not "
	  "reaching?" },
	{ "Identify formal and informal connections",
	  "Identify formal and informal connections." },
	{ "Plan",
	  "Plan " EN_DASH " Think about who you want to engage and why. The strategies for "
	  "engagement will vary widely in different communities." },
	{ "Reach out to organizations",
	  "Reach out to organizations who are already serving the populations you" RSQUO "d like "
	  "to work with." },
	{ "Invest in relationships",
	  "Invest in relationships. Acknowledge that this work will not be done overnight. It is "
	  "critical to take time to develop meaningful and trusting relationships. Real "
	  "community engagement takes a lot of time." },
	{ "LISTEN more " EN_DASH " talk less.",
	  "LISTEN more " EN_DASH " talk less." },
	{ "Share power",
	  "Share power " EN_DASH " Recognize how power plays out in groups, and that there may "
	  "be a power imbalance between a library and a grassroots community org. Be intentional "
	  "in creating space for others to share their experiences and ideas." },
	{ "Be honest",
	  "Be honest with yourself and your partners. DO NOT commit to things you cannot "
	  "deliver." },
	{ "Form a project with benchmarks and an endpoint",
	  "Form a project with benchmarks and an endpoint." },
	{ "Measure mutually-agreed upon outcomes",
	  "Measure mutually-agreed upon outcomes" },
	{ "Accountability",
	  "Accountability " EN_DASH " close the loop with your work. Do not engage community and "
	  "not return to report out how what you have learned will inform the work. Identify "
	  "opportunities for community stakeholders to continue to being involved." },
	{ "Be flexible",
	  "Be flexible. Recognize what you planned may not always work and you have to go back "
	  "and change things." },
	{ "Recognize that relationships are ends in themselves",
	  "Recognize that relationships are ends in themselves. Not all relationships result in "
	  "an immediate project. You are doing the critical work of building extensive networks "
	  "and those relationships are invaluable." },
};

/* Checks a checklist's options against want, and that the one reusing them (options_from)
 * holds equal copies of its own. */
static void check_checklist(const struct template *t, const char *id, const char *tally,
			    const char *reuse_id, const char *reuse_tally,
			    const struct want_option *want, size_t n)
{
	const struct prompt *p = template_prompt(t, id);
	const struct prompt *r = template_prompt(t, reuse_id);

	assert_non_null(p);
	assert_non_null(r);
	assert_int_equal(p->kind, PROMPT_CHECKLIST);
	assert_string_equal(p->tally, tally);
	assert_int_equal(p->options_from, -1);
	assert_int_equal(p->n_options, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(p->options[i].label, want[i].label);
		assert_string_equal(p->options[i].text, want[i].text);
		/* the label is taken from the start of the whole item */
		assert_memory_equal(p->options[i].text, want[i].label,
				    strlen(want[i].label) - (want[i].label[strlen(want[i].label)
							      - 1] == '.'));
	}
	assert_int_equal(r->kind, PROMPT_CHECKLIST);
	assert_string_equal(r->tally, reuse_tally);
	assert_int_equal(r->options_from, template_prompt_index(t, id));
	assert_int_equal(r->n_options, n);
	assert_ptr_not_equal(r->options, p->options);
	for (size_t i = 0; i < n; i++) {
		assert_ptr_not_equal(r->options[i].label, p->options[i].label);
		assert_ptr_not_equal(r->options[i].text, p->options[i].text);
		assert_string_equal(r->options[i].label, want[i].label);
		assert_string_equal(r->options[i].text, want[i].text);
	}
}

static void test_shipped_key_terms(void **state)
{
	check_checklist(*state, "key-terms-used", "used by", "key-terms-new", "new to",
			key_terms, sizeof(key_terms) / sizeof(key_terms[0]));
}

static void test_shipped_best_practices(void **state)
{
	check_checklist(*state, "best-practices-current", "practised by", "best-practices-next",
			"next for", best_practices,
			sizeof(best_practices) / sizeof(best_practices[0]));
}

static void check_clean(const char *s)
{
	size_t n;

	if (!s)
		return;
	n = strlen(s);
	assert_true(n > 0);
	assert_false(s[0] == ' ' || s[n - 1] == ' ');
	assert_null(strstr(s, "[bookmark"));
	assert_null(strstr(s, "_GoBack"));
	assert_null(strstr(s, "  "));
	assert_null(strchr(s, '\t'));
	assert_null(strchr(s, '\n'));
	assert_null(strstr(s, "\xc2\xb7"));  /* the guide's bullet is not part of the text */
}

/* Nothing of the guide's layout leaks into the data: no bookmark, no bullets, no trailing
 * or doubled spaces. */
static void test_shipped_clean_text(void **state)
{
	const struct template *t = *state;

	check_clean(t->title);
	check_clean(t->description);
	check_clean(t->presenters);
	for (size_t i = 0; i < t->n_sections; i++)
		check_clean(t->sections[i].title);
	for (size_t i = 0; i < t->n_prompts; i++) {
		check_clean(t->prompts[i].title);
		check_clean(t->prompts[i].text);
		for (size_t k = 0; k < t->prompts[i].n_options; k++) {
			check_clean(t->prompts[i].options[k].label);
			check_clean(t->prompts[i].options[k].text);
		}
	}
}


/* The two report-back prompts, 14 and 42 days after the end, quote the guide's
 * accountability practices word for word and ask for the three numbers. */
static void test_shipped_followups(void **state)
{
	static const char *const quotes[] = {
		"close the loop with your work",
		"report out how what you have learned will inform the work",
		"Measure mutually-agreed upon outcomes",
		"Identify opportunities for community stakeholders to continue to being involved",
	};
	static const char *const outcomes[][2] = {
		{ "people", "people reached" },
		{ "partners", "partners contacted" },
		{ "events", "events held" },
	};
	const struct template *t = *state;

	assert_int_equal(t->n_followups, 2);
	assert_string_equal(t->followups[0].id, "two-weeks");
	assert_int_equal(t->followups[0].after_days, 14);
	assert_string_equal(t->followups[1].id, "six-weeks");
	assert_int_equal(t->followups[1].after_days, 42);
	assert_ptr_equal(template_followup(t, "six-weeks"), &t->followups[1]);
	assert_null(template_followup(t, "nine-weeks"));
	for (size_t q = 0; q < sizeof(quotes) / sizeof(quotes[0]); q++)
		assert_non_null(strstr(t->followups[0].text, quotes[q]));
	assert_non_null(strstr(t->followups[1].text, "Form a project with benchmarks and an "
			       "endpoint"));
	for (size_t f = 0; f < t->n_followups; f++) {
		assert_non_null(strstr(t->followups[f].text, "How will it inform the work?"));
		assert_non_null(strstr(t->followups[f].text, "Who else should stay involved?"));
		assert_int_equal(t->followups[f].n_outcomes, 3);
		for (size_t o = 0; o < 3; o++) {
			assert_string_equal(t->followups[f].outcomes[o].id, outcomes[o][0]);
			assert_string_equal(t->followups[f].outcomes[o].label, outcomes[o][1]);
		}
	}
}

/* A template without "follow_ups" has none; one with a follow-up without outcomes asks
 * for no numbers. */
static void test_good_followups(void **state)
{
	const char *none = "{\"id\": \"t\", \"title\": \"T\", \"description\": \"D\", "
			   "\"sections\": [{\"id\": \"s\", \"title\": \"S\", \"prompts\": "
			   "[{\"id\": \"p\", \"kind\": \"text\", \"text\": \"Q\"}]}]";
	char json[1024], err[BOT_ERRMSG_MAX] = "";
	struct template *t = NULL;

	(void)state;
	snprintf(json, sizeof(json), "%s}", none);
	assert_int_equal(template_load_string(json, strlen(json), "good.json", &t, err,
					      sizeof(err)), 0);
	assert_int_equal(t->n_followups, 0);
	assert_null(t->followups);
	template_free(t);
	snprintf(json, sizeof(json), "%s, \"follow_ups\": [{\"id\": \"w-1\", \"after_days\": "
		 "365, \"title\": \"Later\", \"text\": \"How did it go?\\nTell us.\"}, "
		 "{\"id\": \"w2\", \"after_days\": 1, \"title\": \"Soon\", \"text\": \"Q\", "
		 "\"outcomes\": [{\"id\": \"n\", \"label\": \"N\"}]}]}", none);
	assert_int_equal(template_load_string(json, strlen(json), "good.json", &t, err,
					      sizeof(err)), 0);
	assert_int_equal(t->n_followups, 2);
	assert_int_equal(t->followups[0].after_days, 365);
	assert_string_equal(t->followups[0].text, "How did it go?\nTell us.");
	assert_int_equal(t->followups[0].n_outcomes, 0);
	assert_string_equal(t->followups[1].outcomes[0].label, "N");
	template_free(t);
}

/* ---- bad templates ------------------------------------------------------------------- */

/* In a case's json, ' stands for " and @ marks the character the error must point at. */
struct bad_case {
	const char *description;
	const char *json;
	const char *message;  /* the error after "bad.json:LINE:COLUMN: " */
};

#define HEAD "{'id': 't', 'title': 'T', 'description': 'D', 'sections': ["
#define TAIL "]}"
#define SEC_OPEN "{'id': 's', 'title': 'S', 'prompts': ["
#define SEC_CLOSE "]}"
#define SEC(prompts) SEC_OPEN prompts SEC_CLOSE
#define TEXTP "{'id': 'p', 'kind': 'text', 'text': 'Q'}"
#define OPTS "'options': [{'label': 'A', 'text': 'a'}, {'label': 'B', 'text': 'b'}]"
#define CHECKP(id) "{'id': '" id "', 'kind': 'checklist', 'text': 'Q', 'tally': 'by', " OPTS "}"
#define REUSEP(id, from) "{'id': '" id "', 'kind': 'checklist', 'text': 'Q', 'tally': 'by', " \
			 "'options_from': @'" from "'}"
#define FU_BODY(id, days) "'id': '" id "', 'after_days': " days ", 'title': 'T', 'text': 'Q'"
#define OUT(id, label) "{'id': '" id "', 'label': '" label "'}"
#define IN_P1 "in prompt 1 of section \"s\""
#define IN_P2 "in prompt 2 of section \"s\""

static const struct bad_case bad_cases[] = {
	{ "syntax error: trailing comma",
	  "{'id': 't',\n@}",
	  "invalid JSON: string or '}' expected near '}'" },
	{ "duplicate key",
	  "{'id': 't',\n 'id@': 'u'}",
	  "invalid JSON: duplicate object key near '\"id\"'" },
	{ "empty file",
	  "@",
	  "invalid JSON: '[' or '{' expected near end of file" },
	{ "not an object",
	  "@['x']",
	  "expected a JSON object at top level, got an array" },
	{ "unknown top-level key",
	  "{'id': 't', @'colour': 'red'}",
	  "unknown key \"colour\" at top level; expected one of id, title, description, "
	  "presenters, sections, follow_ups" },
	{ "unknown key written with an escape",
	  "{'id': 't', @'ti\\u0074lex': 1}",
	  "unknown key \"titlex\" at top level; expected one of id, title, description, "
	  "presenters, sections, follow_ups" },
	{ "unknown key with a quote in it",
	  "{'id': 't', @'a\\'b': 1}",
	  "unknown key \"a\\\"b\" at top level; expected one of id, title, description, "
	  "presenters, sections, follow_ups" },
	{ "missing template id",
	  "@{'title': 'T', 'description': 'D', 'sections': [" SEC(TEXTP) TAIL,
	  "missing required key \"id\" at top level" },
	{ "title is a number",
	  "{'id': 't', 'title': @42, 'description': 'D', 'sections': [" SEC(TEXTP) TAIL,
	  "expected \"title\" to be a string at top level, got a number" },
	{ "title is empty",
	  "{'id': 't', 'title': @'', 'description': 'D', 'sections': [" SEC(TEXTP) TAIL,
	  "expected \"title\" to be a non-empty string at top level" },
	{ "description is only white space",
	  "{'id': 't', 'title': 'T', 'description': @' \\n\\t ', 'sections': [" SEC(TEXTP) TAIL,
	  "expected \"description\" to be a non-empty string at top level" },
	{ "presenters is empty",
	  "{'id': 't', 'title': 'T', 'description': 'D', 'presenters': @'', 'sections': ["
	  SEC(TEXTP) TAIL,
	  "expected \"presenters\" to be a non-empty string at top level" },
	{ "id with a space",
	  "{'id': @'has space', 'title': 'T', 'description': 'D', 'sections': [" SEC(TEXTP) TAIL,
	  "expected \"id\" to be at most 64 letters, digits, '-', '_' or '.' at top level, "
	  "got \"has space\"" },
	{ "line break in a title",
	  "{'id': 't', 'title': @'a\\nb', 'description': 'D', 'sections': [" SEC(TEXTP) TAIL,
	  "expected \"title\" to contain no line breaks or control characters at top level, "
	  "got \"a\\x0ab\"" },
	{ "control character in the description",
	  "{'id': 't', 'title': 'T', 'description': @'a\\u0001', 'sections': [" SEC(TEXTP) TAIL,
	  "expected \"description\" to contain no control characters at top level, "
	  "got \"a\\x01\"" },
	{ "columns count characters, not bytes",
	  "{'id': 't', 'title': '\xc3\x9cn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9 " EN_DASH " ok', "
	  "'description': @7, 'sections': [" SEC(TEXTP) TAIL,
	  "expected \"description\" to be a string at top level, got a number" },
	{ "sections is an object",
	  "{'id': 't', 'title': 'T', 'description': 'D', 'sections': @{}}",
	  "expected \"sections\" to be an array at top level, got an object" },
	{ "sections is empty",
	  "{'id': 't', 'title': 'T', 'description': 'D', 'sections': @[]}",
	  "expected \"sections\" to hold at least one section at top level, got an empty array" },
	{ "missing sections",
	  "@{'id': 't', 'title': 'T', 'description': 'D'}",
	  "missing required key \"sections\" at top level" },
	{ "section is a string",
	  HEAD "@'goals'" TAIL,
	  "expected section 1 to be an object, got a string" },
	{ "unknown key in a section",
	  HEAD "{'id': 's', 'title': 'S', @'intro': 'x', 'prompts': [" TEXTP "]}" TAIL,
	  "unknown key \"intro\" in section 1; expected one of id, title, prompts" },
	{ "duplicate section id",
	  HEAD SEC(TEXTP) ",\n {'id': @'s', 'title': 'S2', 'prompts': "
	  "[{'id': 'q', 'kind': 'text', 'text': 'Q'}]}" TAIL,
	  "expected a section id not used before in section 2, got \"s\" (also section 1)" },
	{ "section without a title",
	  HEAD "@{'id': 's', 'prompts': [" TEXTP "]}" TAIL,
	  "missing required key \"title\" in section \"s\"" },
	{ "section without prompts",
	  HEAD "{'id': 's', 'title': 'S', 'prompts': @[]}" TAIL,
	  "expected \"prompts\" to hold at least one prompt in section \"s\", got an empty "
	  "array" },
	{ "prompt is null",
	  HEAD SEC("@null") TAIL,
	  "expected prompt 1 to be an object in section \"s\", got null" },
	{ "missing text (the example of the brief)",
	  "{'id': 't', 'title': 'T', 'description': 'D', 'sections': [\n"
	  " {'id': 'goals', 'title': 'G', 'prompts': [\n"
	  "  {'id': 'a', 'kind': 'text', 'text': 'Q'},\n"
	  "  {'id': 'b', 'kind': 'text', 'text': 'Q'},\n"
	  "        @{'id': 'c', 'kind': 'text'}]}]}",
	  "missing required key \"text\" in prompt 3 of section \"goals\"" },
	{ "unknown kind",
	  HEAD "{'id': 'goals', 'title': 'G', 'prompts': [\n"
	  "  {'id': 'a', 'kind': @'essay', 'text': 'Q'}]}" TAIL,
	  "expected \"kind\" to be one of info, text, checklist, action_items in prompt 1 of "
	  "section \"goals\", got \"essay\"" },
	{ "long value is cut in the message",
	  HEAD SEC("{'id': 'p', 'kind': @'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		   "xxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'text': 'Q'}") TAIL,
	  "expected \"kind\" to be one of info, text, checklist, action_items " IN_P1 ", got "
	  "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\"" },
	{ "kind is a number",
	  HEAD SEC("{'id': 'p', 'kind': @2, 'text': 'Q'}") TAIL,
	  "expected \"kind\" to be a string " IN_P1 ", got a number" },
	{ "missing kind",
	  HEAD SEC("@{'id': 'p', 'text': 'Q'}") TAIL,
	  "missing required key \"kind\" " IN_P1 },
	{ "unknown key in a prompt",
	  HEAD SEC("{'id': 'p', 'kind': 'text', 'text': 'Q', @'hint': 'h'}") TAIL,
	  "unknown key \"hint\" " IN_P1 "; expected one of id, kind, title, text, tally, "
	  "options, options_from" },
	{ "options on a text prompt",
	  HEAD SEC("{'id': 'p', 'kind': 'text', 'text': 'Q', @" OPTS "}") TAIL,
	  "expected no \"options\" " IN_P1 ": it is only for checklists, and this prompt is "
	  "text" },
	{ "tally on an info prompt",
	  HEAD SEC(TEXTP ", {'id': 'i', 'kind': 'info', 'text': 'I', @'tally': 'by'}") TAIL,
	  "expected no \"tally\" " IN_P2 ": it is only for checklists, and this prompt is "
	  "info" },
	{ "options_from on action items",
	  HEAD SEC(CHECKP("c") ", {'id': 'a', 'kind': 'action_items', 'text': 'A', "
		   "@'options_from': 'c'}") TAIL,
	  "expected no \"options_from\" " IN_P2 ": it is only for checklists, and this prompt "
	  "is action_items" },
	{ "checklist without tally",
	  HEAD SEC("@{'id': 'c', 'kind': 'checklist', 'text': 'Q', " OPTS "}") TAIL,
	  "missing required key \"tally\" " IN_P1 },
	{ "checklist without options",
	  HEAD SEC("@{'id': 'c', 'kind': 'checklist', 'text': 'Q', 'tally': 'by'}") TAIL,
	  "missing required key \"options\" (or \"options_from\") " IN_P1 },
	{ "checklist with options and options_from",
	  HEAD SEC(CHECKP("c") ", {'id': 'd', 'kind': 'checklist', 'text': 'Q', 'tally': 'by', "
		   OPTS ", @'options_from': 'c'}") TAIL,
	  "expected either \"options\" or \"options_from\", not both, " IN_P2 },
	{ "options is empty",
	  HEAD SEC("{'id': 'c', 'kind': 'checklist', 'text': 'Q', 'tally': 'by', "
		   "'options': @[]}") TAIL,
	  "expected \"options\" to hold at least one option " IN_P1 ", got an empty array" },
	{ "option is a string",
	  HEAD SEC("{'id': 'c', 'kind': 'checklist', 'text': 'Q', 'tally': 'by', "
		   "'options': [{'label': 'A', 'text': 'a'}, @'B']}") TAIL,
	  "expected option 2 to be an object " IN_P1 ", got a string" },
	{ "option without label",
	  HEAD SEC("{'id': 'c', 'kind': 'checklist', 'text': 'Q', 'tally': 'by', "
		   "'options': [@{'text': 'a'}]}") TAIL,
	  "missing required key \"label\" in option 1 of prompt 1 of section \"s\"" },
	{ "unknown key in an option",
	  HEAD SEC("{'id': 'c', 'kind': 'checklist', 'text': 'Q', 'tally': 'by', "
		   "'options': [{'label': 'A', 'text': 'a', @'note': 'n'}]}") TAIL,
	  "unknown key \"note\" in option 1 of prompt 1 of section \"s\"; expected one of label, "
	  "text" },
	{ "duplicate label, ignoring case",
	  HEAD SEC("{'id': 'c', 'kind': 'checklist', 'text': 'Q', 'tally': 'by', "
		   "'options': [{'label': 'Plan', 'text': 'a'}, {'label': @'PLAN', 'text': 'b'}]}")
	  TAIL,
	  "expected a label not used by another option in option 2 of prompt 1 of section "
	  "\"s\", got \"PLAN\" (also option 1, ignoring case)" },
	{ "label with a trailing space",
	  HEAD SEC("{'id': 'c', 'kind': 'checklist', 'text': 'Q', 'tally': 'by', "
		   "'options': [{'label': @'A ', 'text': 'a'}]}") TAIL,
	  "expected \"label\" to have no white space at either end in option 1 of prompt 1 of "
	  "section \"s\", got \"A \"" },
	{ "options_from names no prompt",
	  HEAD SEC(CHECKP("c") ", " REUSEP("d", "nope")) TAIL,
	  "expected \"options_from\" to name an earlier checklist " IN_P2 ", got \"nope\" (no "
	  "prompt has this id)" },
	{ "options_from names a later prompt",
	  HEAD SEC(REUSEP("d", "c") ", " CHECKP("c")) TAIL,
	  "expected \"options_from\" to name an earlier checklist " IN_P1 ", got \"c\" (that "
	  "prompt comes later)" },
	{ "options_from names its own prompt",
	  HEAD SEC(REUSEP("d", "d")) TAIL,
	  "expected \"options_from\" to name an earlier checklist " IN_P1 ", got \"d\" (it "
	  "names this prompt)" },
	{ "options_from names a text prompt",
	  HEAD SEC(TEXTP ", " REUSEP("d", "p")) TAIL,
	  "expected \"options_from\" to name an earlier checklist " IN_P2 ", got \"p\" (that "
	  "prompt is not a checklist)" },
	{ "options_from in a later section names a later prompt",
	  HEAD SEC(CHECKP("c")) ",\n{'id': 's2', 'title': 'S2', 'prompts': ["
	  REUSEP("d", "e") ", " CHECKP("e") "]}" TAIL,
	  "expected \"options_from\" to name an earlier checklist in prompt 1 of section "
	  "\"s2\", got \"e\" (that prompt comes later)" },
	{ "options_from is a number",
	  HEAD SEC(CHECKP("c") ", {'id': 'd', 'kind': 'checklist', 'text': 'Q', 'tally': 'by', "
		   "'options_from': @3}") TAIL,
	  "expected \"options_from\" to be a string " IN_P2 ", got a number" },
	{ "duplicate prompt id across sections",
	  HEAD SEC(TEXTP) ",\n{'id': 's2', 'title': 'S2', 'prompts': ["
	  "{'id': @'p', 'kind': 'text', 'text': 'Q'}]}" TAIL,
	  "expected a prompt id not used before in prompt 1 of section \"s2\", got \"p\" (also "
	  "prompt 1 of section \"s\")" },
	{ "duplicate prompt id in a section",
	  HEAD SEC(TEXTP ", {'id': 'q', 'kind': 'text', 'text': 'Q'}, "
		   "{'id': @'q', 'kind': 'info', 'text': 'Q'}") TAIL,
	  "expected a prompt id not used before in prompt 3 of section \"s\", got \"q\" (also "
	  "prompt 2 of section \"s\")" },
	{ "follow_ups not an array",
	  HEAD SEC(TEXTP) "], 'follow_ups': @{}}",
	  "expected \"follow_ups\" to be an array at top level, got an object" },
	{ "follow_ups empty",
	  HEAD SEC(TEXTP) "], 'follow_ups': @[]}",
	  "expected \"follow_ups\" to hold at least one follow-up at top level, got an empty "
	  "array" },
	{ "follow-up not an object",
	  HEAD SEC(TEXTP) "], 'follow_ups': [@3]}",
	  "expected follow-up 1 to be an object, got a number" },
	{ "follow-up with an unknown key",
	  HEAD SEC(TEXTP) "], 'follow_ups': [{" FU_BODY("a", "14") ", @'when': 1}]}",
	  "unknown key \"when\" in follow-up 1; expected one of id, after_days, title, text, "
	  "outcomes" },
	{ "follow-up id with upper case",
	  HEAD SEC(TEXTP) "], 'follow_ups': [{'id': @'Two', 'after_days': 1, 'title': 'T', "
	  "'text': 'Q'}]}",
	  "expected \"id\" to be at most 64 lower-case letters, digits or '-' in follow-up 1, "
	  "got \"Two\"" },
	{ "duplicate follow-up id",
	  HEAD SEC(TEXTP) "], 'follow_ups': [{" FU_BODY("a", "14") "}, {'id': @'a', "
	  "'after_days': 42, 'title': 'T', 'text': 'Q'}]}",
	  "expected a follow-up id not used before in follow-up 2, got \"a\" (also follow-up 1)" },
	{ "after_days missing",
	  HEAD SEC(TEXTP) "], 'follow_ups': [@{'id': 'a', 'title': 'T', 'text': 'Q'}]}",
	  "missing required key \"after_days\" in follow-up 1" },
	{ "after_days zero",
	  HEAD SEC(TEXTP) "], 'follow_ups': [{" FU_BODY("a", "@0") "}]}",
	  "expected \"after_days\" to be a whole number from 1 to 365 in follow-up 1, got 0" },
	{ "after_days too big",
	  HEAD SEC(TEXTP) "], 'follow_ups': [{" FU_BODY("a", "@366") "}]}",
	  "expected \"after_days\" to be a whole number from 1 to 365 in follow-up 1, got 366" },
	{ "after_days a string",
	  HEAD SEC(TEXTP) "], 'follow_ups': [{" FU_BODY("a", "@'14'") "}]}",
	  "expected \"after_days\" to be a whole number from 1 to 365 in follow-up 1, got a "
	  "string" },
	{ "after_days a fraction",
	  HEAD SEC(TEXTP) "], 'follow_ups': [{" FU_BODY("a", "@1.5") "}]}",
	  "expected \"after_days\" to be a whole number from 1 to 365 in follow-up 1, got a "
	  "number" },
	{ "follow-up without text",
	  HEAD SEC(TEXTP) "], 'follow_ups': [@{'id': 'a', 'after_days': 1, 'title': 'T'}]}",
	  "missing required key \"text\" in follow-up 1" },
	{ "outcomes empty",
	  HEAD SEC(TEXTP) "], 'follow_ups': [{" FU_BODY("a", "14") ", 'outcomes': @[]}]}",
	  "expected \"outcomes\" to hold at least one outcome in follow-up 1, got an empty "
	  "array" },
	{ "outcome not an object",
	  HEAD SEC(TEXTP) "], 'follow_ups': [{" FU_BODY("a", "14") ", 'outcomes': [@'x']}]}",
	  "expected outcome 1 to be an object in follow-up 1, got a string" },
	{ "outcome id with a space",
	  HEAD SEC(TEXTP) "], 'follow_ups': [{" FU_BODY("a", "14") ", 'outcomes': [{'id': "
	  "@'a b', 'label': 'x'}]}]}",
	  "expected \"id\" to be at most 64 lower-case letters, digits or '-' in outcome 1 of "
	  "follow-up 1, got \"a b\"" },
	{ "outcome without label",
	  HEAD SEC(TEXTP) "], 'follow_ups': [{" FU_BODY("a", "14") ", 'outcomes': [@{'id': "
	  "'x'}]}]}",
	  "missing required key \"label\" in outcome 1 of follow-up 1" },
	{ "duplicate outcome id",
	  HEAD SEC(TEXTP) "], 'follow_ups': [{" FU_BODY("a", "14") ", 'outcomes': [" OUT("x", "X")
	  ", {'id': @'x', 'label': 'Y'}]}]}",
	  "expected an outcome id not used by another outcome in outcome 2 of follow-up 1, got "
	  "\"x\" (also outcome 1)" },
	{ "duplicate outcome label, other case",
	  HEAD SEC(TEXTP) "], 'follow_ups': [{" FU_BODY("a", "14") ", 'outcomes': [" OUT("x", "People")
	  ", {'id': 'y', 'label': @'people'}]}]}",
	  "expected an outcome label not used by another outcome in outcome 2 of follow-up 1, "
	  "got \"people\" (also outcome 1)" },
	{ "nothing to answer",
	  "{'id': 't', 'title': 'T', 'description': 'D', 'sections': @["
	  SEC("{'id': 'i', 'kind': 'info', 'text': 'I'}") TAIL,
	  "expected at least one prompt that takes an answer (text, checklist or action_items) "
	  "in \"sections\"" },
};

/* Copies a case's json into buf with ' turned into " and the @ taken out; returns the
 * line and column of the @. */
static size_t case_json(const char *src, char *buf, size_t size, long *line, long *col)
{
	size_t n = 0;
	long l = 1, c = 1;

	*line = *col = 0;
	for (; *src; src++) {
		unsigned char ch = (unsigned char)*src;

		assert_true(n + 1 < size);
		if (ch == '@') {
			*line = l;
			*col = c;
			continue;
		}
		buf[n++] = ch == '\'' ? '"' : (char)ch;
		if (ch == '\n') {
			l++;
			c = 1;
		} else if ((ch & 0xC0) != 0x80) {
			c++;
		}
	}
	buf[n] = '\0';
	assert_true(*line > 0);
	return n;
}

static bool check_bad_case(const struct bad_case *bc)
{
	char json[4096], want[1024], err[BOT_ERRMSG_MAX];
	struct template *t = (struct template *)&t;  /* must be reset to NULL */
	long line, col;
	size_t len = case_json(bc->json, json, sizeof(json), &line, &col);
	int rc;

	snprintf(want, sizeof(want), "bad.json:%ld:%ld: %s", line, col, bc->message);
	rc = template_load_string(json, len, "bad.json", &t, err, sizeof(err));
	if (rc == BOT_ERR_TEMPLATE && !t && strcmp(err, want) == 0)
		return true;
	print_error("case \"%s\": rc %d, template %p\n  got:  %s\n  want: %s\n", bc->description,
		    rc, (void *)t, err, want);
	template_free(t);
	return false;
}

static void test_bad_templates(void **state)
{
	size_t failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		if (!check_bad_case(&bad_cases[i]))
			failed++;
	}
	assert_int_equal(failed, 0);
}

/* The envelope of the cases, valid: a check that the cases fail for their own reason. */
static void test_good_small_templates(void **state)
{
	static const char *const good[] = {
		HEAD SEC(TEXTP) TAIL,
		HEAD SEC(CHECKP("c") ", {'id': 'd', 'kind': 'checklist', 'text': 'Q', "
			 "'tally': 'by', 'options_from': 'c'}") TAIL,
		HEAD SEC("{'id': 'a', 'kind': 'action_items', 'text': 'A'}") TAIL,
		"{'id': 't', 'title': 'T', 'description': 'line 1\\nline 2\\tx', 'sections': ["
		SEC("{'id': 'i', 'kind': 'info', 'title': 'Intro', 'text': 'I'}, " TEXTP) TAIL,
	};
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char json[4096], err[BOT_ERRMSG_MAX] = "";
		struct template *t = NULL;
		size_t n = strlen(good[i]);
		int rc;

		assert_true(n < sizeof(json));
		for (size_t k = 0; k <= n; k++)
			json[k] = good[i][k] == '\'' ? '"' : good[i][k];
		rc = template_load_string(json, n, "good.json", &t, err, sizeof(err));
		if (rc)
			print_error("good case %zu: %s\n", i, err);
		assert_int_equal(rc, 0);
		assert_non_null(t);
		assert_null(t->presenters);
		template_free(t);
	}
}

/* Builds HEAD SEC(prompt with text of n 'x') TAIL, with real quotes. */
static char *with_long_text(size_t n)
{
	const char *pre = "{\"id\": \"t\", \"title\": \"T\", \"description\": \"D\", \"sections\": "
			  "[{\"id\": \"s\", \"title\": \"S\", \"prompts\": [{\"id\": \"p\", "
			  "\"kind\": \"text\", \"text\": \"";
	const char *post = "\"}]}]}";
	size_t a = strlen(pre), b = strlen(post);
	char *s = malloc(a + n + b + 1);

	assert_non_null(s);
	memcpy(s, pre, a);
	memset(s + a, 'x', n);
	memcpy(s + a + n, post, b + 1);
	return s;
}

static void test_limits(void **state)
{
	char err[BOT_ERRMSG_MAX];
	struct template *t = NULL;
	char *s;
	int rc;

	(void)state;
	/* 8 KiB per field: 8192 bytes load, 8193 do not */
	s = with_long_text(8192);
	rc = template_load_string(s, strlen(s), "long.json", &t, err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_int_equal(strlen(t->prompts[0].text), 8192);
	template_free(t);
	free(s);
	s = with_long_text(8193);
	rc = template_load_string(s, strlen(s), "long.json", &t, err, sizeof(err));
	assert_int_equal(rc, BOT_ERR_TEMPLATE);
	assert_null(t);
	assert_string_equal(err, "long.json:1:134: expected \"text\" to be at most 8192 bytes "
			    "in prompt 1 of section \"s\", got 8193");
	free(s);

	/* 1 MiB per file, checked before parsing */
	s = with_long_text(1024 * 1024);
	rc = template_load_string(s, strlen(s), "big.json", &t, err, sizeof(err));
	assert_int_equal(rc, BOT_ERR_TEMPLATE);
	assert_null(t);
	assert_string_equal(err, "big.json:1:1: expected at most 1048576 bytes, got 1048716");
	free(s);
}

static void test_limits_ids_and_options(void **state)
{
	char json[16384], err[BOT_ERRMSG_MAX];
	struct template *t = NULL;
	size_t n;
	int rc;

	(void)state;
	/* ids: 64 bytes at most */
	n = (size_t)snprintf(json, sizeof(json), "{\"id\": \"%065d\", \"title\": \"T\", "
			     "\"description\": \"D\", \"sections\": []}", 0);
	rc = template_load_string(json, n, "id.json", &t, err, sizeof(err));
	assert_int_equal(rc, BOT_ERR_TEMPLATE);
	assert_non_null(strstr(err, "id.json:1:8: expected \"id\" to be at most 64 letters"));

	/* at most 100 options */
	n = (size_t)snprintf(json, sizeof(json), "{\"id\": \"t\", \"title\": \"T\", \"description\":"
			     " \"D\", \"sections\": [{\"id\": \"s\", \"title\": \"S\", \"prompts\": "
			     "[{\"id\": \"c\", \"kind\": \"checklist\", \"text\": \"Q\", "
			     "\"tally\": \"by\", \"options\": [");
	for (int i = 0; i < 101; i++)
		n += (size_t)snprintf(json + n, sizeof(json) - n, "%s{\"label\": \"o%d\", "
				      "\"text\": \"x\"}", i ? ", " : "", i);
	n += (size_t)snprintf(json + n, sizeof(json) - n, "]}]}]}");
	assert_true(n < sizeof(json));
	rc = template_load_string(json, n, "opts.json", &t, err, sizeof(err));
	assert_int_equal(rc, BOT_ERR_TEMPLATE);
	assert_null(t);
	assert_non_null(strstr(err, ": expected \"options\" to hold at most 100 options in "
			       "prompt 1 of section \"s\", got 101"));
}

/* A short or missing error buffer is never overrun. */
static void test_small_error_buffer(void **state)
{
	const char *bad = "{\"id\": \"t\", \"oops\": 1}";
	char err[16];
	struct template *t = NULL;

	(void)state;
	memset(err, 'z', sizeof(err));
	assert_int_equal(template_load_string(bad, strlen(bad), "bad.json", &t, err, 12),
			 BOT_ERR_TEMPLATE);
	assert_string_equal(err, "bad.json:1:");
	assert_int_equal(err[12], 'z');
	assert_int_equal(template_load_string(bad, strlen(bad), "bad.json", &t, NULL, 0),
			 BOT_ERR_TEMPLATE);
	assert_null(t);
	assert_int_equal(template_load_string("[", 1, "bad.json", &t, NULL, 0),
			 BOT_ERR_TEMPLATE);
}

/* ---- files ---------------------------------------------------------------------------- */

static void test_file_fixture(void **state)
{
	char err[BOT_ERRMSG_MAX];
	struct template *t = NULL;

	(void)state;
	assert_int_equal(template_load_file(FIXTURES "/bad-kind.json", &t, err, sizeof(err)),
			 BOT_ERR_TEMPLATE);
	assert_null(t);
	assert_string_equal(err, FIXTURES "/bad-kind.json:13:14: expected \"kind\" to be one "
			    "of info, text, checklist, action_items in prompt 2 of section "
			    "\"goals\", got \"essay\"");
}

static void test_file_missing(void **state)
{
	char err[BOT_ERRMSG_MAX];
	struct template *t = NULL;

	(void)state;
	assert_int_equal(template_load_file(FIXTURES "/no-such.json", &t, err, sizeof(err)),
			 BOT_ERR_IO);
	assert_null(t);
	assert_string_equal(err, FIXTURES "/no-such.json:1:1: cannot open template: No such "
			    "file or directory");
}

static void test_file_too_big(void **state)
{
	char path[] = "/tmp/test_template_XXXXXX";
	char err[BOT_ERRMSG_MAX], want[BOT_ERRMSG_MAX];
	struct template *t = NULL;
	char *s = with_long_text(1024 * 1024);
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(s, 1, strlen(s), f), strlen(s));
	assert_int_equal(fclose(f), 0);
	free(s);
	assert_int_equal(template_load_file(path, &t, err, sizeof(err)), BOT_ERR_TEMPLATE);
	assert_null(t);
	snprintf(want, sizeof(want), "%s:1:1: expected at most 1048576 bytes, got more", path);
	assert_string_equal(err, want);
	unlink(path);
}

/* ---- option lookup --------------------------------------------------------------------- */

static void test_option_find(void **state)
{
	const struct template *t = *state;
	const struct prompt *kt = template_prompt(t, "key-terms-used");
	const struct prompt *bp = template_prompt(t, "best-practices-next");
	static const struct { const char *text; long want; } kt_cases[] = {
		{ "Equity", 5 },                 /* exact */
		{ "equity", 5 },                 /* any case */
		{ "  EQUALITY \n", 6 },          /* surrounding white space */
		{ "Equa", 6 },                   /* unique prefix */
		{ "Equ", -1 },                   /* ambiguous prefix: Equity, Equality */
		{ "Mar", 1 },                    /* 3 characters are enough */
		{ "Ma", -1 },                    /* 2 are not */
		{ "O", -1 },
		{ "Community", -1 },             /* analysis, partnerships, engagement */
		{ "community a", 0 },
		{ "Community partnerships", 3 },
		{ "Marketingx", -1 },
		{ "Equity: The strategic", -1 }, /* the item text is not a label */
		{ "", -1 },
		{ " \t ", -1 },
	};
	static const struct { const char *text; long want; } bp_cases[] = {
		{ "plan", 2 },
		{ "Plan " EN_DASH " Think", -1 },
		{ "Be", -1 },
		{ "be ", -1 },                   /* trimmed to "be": too short */
		{ "be f", 11 },
		{ "Be honest", 7 },
		{ "listen more " EN_DASH " talk less.", 5 },
		{ "listen", 5 },
		{ "Rec", 12 },                   /* "Reach out" starts "Rea" */
		{ "Re", -1 },
		{ "accountability", 10 },
		{ "Measure mutually-agreed upon outcomes", 9 },
	};

	for (size_t i = 0; i < sizeof(kt_cases) / sizeof(kt_cases[0]); i++) {
		long got = template_option_find(kt, kt_cases[i].text);
		if (got != kt_cases[i].want)
			print_error("key terms \"%s\": got %ld\n", kt_cases[i].text, got);
		assert_int_equal(got, kt_cases[i].want);
	}
	for (size_t i = 0; i < sizeof(bp_cases) / sizeof(bp_cases[0]); i++) {
		long got = template_option_find(bp, bp_cases[i].text);
		if (got != bp_cases[i].want)
			print_error("best practices \"%s\": got %ld\n", bp_cases[i].text, got);
		assert_int_equal(got, bp_cases[i].want);
	}
	assert_int_equal(template_option_find(kt, NULL), -1);
	assert_int_equal(template_option_find(NULL, "Equity"), -1);
	assert_int_equal(template_option_find(template_prompt(t, "notes"), "Notes"), -1);
}

/* "At least 3 characters" counts characters, not bytes. */
static void test_option_find_utf8(void **state)
{
	const char *json = "{\"id\": \"t\", \"title\": \"T\", \"description\": \"D\", "
			   "\"sections\": [{\"id\": \"s\", \"title\": \"S\", \"prompts\": "
			   "[{\"id\": \"c\", \"kind\": \"checklist\", \"text\": \"Q\", "
			   "\"tally\": \"by\", \"options\": [{\"label\": \"\xc3\x84pfel\", "
			   "\"text\": \"a\"}, {\"label\": \"Birnen\", \"text\": \"b\"}]}]}]}";
	char err[BOT_ERRMSG_MAX];
	struct template *t = NULL;

	(void)state;
	assert_int_equal(template_load_string(json, strlen(json), "u.json", &t, err,
					      sizeof(err)), 0);
	assert_int_equal(template_option_find(&t->prompts[0], "\xc3\x84p"), -1);
	assert_int_equal(template_option_find(&t->prompts[0], "\xc3\x84pf"), 0);
	assert_int_equal(template_option_find(&t->prompts[0], "bir"), 1);
	template_free(t);
}

/* ---- template sets -------------------------------------------------------------------- */

static void test_set_two(void **state)
{
	struct template_set set;
	char err[BOT_ERRMSG_MAX] = "";
	int rc;

	(void)state;
	rc = template_set_load(FIXTURES "/set-two", &set, err, sizeof(err));
	if (rc)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	assert_int_equal(set.n, 2);
	assert_string_equal(set.items[0]->id, "first");   /* a-first.json */
	assert_string_equal(set.items[1]->id, "second");  /* b-second.json */
	assert_ptr_equal(template_set_find(&set, "second"), set.items[1]);
	assert_ptr_equal(template_set_find(&set, "first"), set.items[0]);
	assert_null(template_set_find(&set, "third"));
	assert_null(template_set_find(&set, NULL));
	assert_string_equal(set.items[1]->presenters, "Someone");
	template_set_free(&set);
	assert_null(set.items);
	assert_int_equal(set.n, 0);
	template_set_free(&set);  /* twice is harmless */
}

static void test_set_shipped(void **state)
{
	struct template_set set;
	char err[BOT_ERRMSG_MAX] = "";
	int rc;

	(void)state;
	rc = template_set_load("prompts", &set, err, sizeof(err));
	if (rc)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	assert_true(set.n >= 1);
	assert_non_null(template_set_find(&set, "community-engagement"));
	template_set_free(&set);
}

static void test_set_duplicate_id(void **state)
{
	struct template_set set;
	char err[BOT_ERRMSG_MAX];

	(void)state;
	assert_int_equal(template_set_load(FIXTURES "/set-dup", &set, err, sizeof(err)),
			 BOT_ERR_TEMPLATE);
	assert_null(set.items);
	assert_int_equal(set.n, 0);
	assert_string_equal(err, FIXTURES "/set-dup/b.json:2:8: expected a template id not "
			    "used by another template, got \"first\" (also " FIXTURES
			    "/set-dup/a.json)");
}

static void test_set_bad_file(void **state)
{
	struct template_set set;
	char err[BOT_ERRMSG_MAX];

	(void)state;
	assert_int_equal(template_set_load(FIXTURES "/set-bad", &set, err, sizeof(err)),
			 BOT_ERR_TEMPLATE);
	assert_null(set.items);
	assert_string_equal(err, FIXTURES "/set-bad/b.json:6:40: expected \"prompts\" to hold at "
			    "least one prompt in section \"s\", got an empty array");
}

static void test_set_missing_and_empty_dir(void **state)
{
	struct template_set set;
	char err[BOT_ERRMSG_MAX];
	char dir[] = "/tmp/test_template_dir_XXXXXX";
	char want[BOT_ERRMSG_MAX];

	(void)state;
	assert_int_equal(template_set_load(FIXTURES "/no-such-dir", &set, err, sizeof(err)),
			 BOT_ERR_IO);
	assert_string_equal(err, FIXTURES "/no-such-dir: cannot read template directory: No "
			    "such file or directory");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(template_set_load(dir, &set, err, sizeof(err)), BOT_ERR_NOT_FOUND);
	snprintf(want, sizeof(want), "%s: expected at least one *.json template", dir);
	assert_string_equal(err, want);
	assert_int_equal(rmdir(dir), 0);
}

/* ---- freeing ---------------------------------------------------------------------------- */

/* template_free() takes any template the loader may have been building: NULL arrays,
 * counted entries still empty, options half filled. ASan/LSan checks nothing leaks. */
static void test_free_partial(void **state)
{
	struct template *t;

	(void)state;
	template_free(NULL);

	t = calloc(1, sizeof(*t));
	assert_non_null(t);
	template_free(t);

	t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->id = strdup("t");
	t->sections = calloc(2, sizeof(*t->sections));
	t->n_sections = 2;
	t->sections[0].id = strdup("s");
	t->prompts = calloc(3, sizeof(*t->prompts));
	t->n_prompts = 3;
	t->prompts[0].id = strdup("p");
	t->prompts[0].text = strdup("Q");
	t->prompts[1].id = strdup("c");
	t->prompts[1].tally = strdup("by");
	t->prompts[1].options = calloc(2, sizeof(*t->prompts[1].options));
	t->prompts[1].n_options = 2;
	t->prompts[1].options[0].label = strdup("A");
	template_free(t);
}

/* Every bad case again, each stopping the loader at a different point of building: under
 * ASan this is the leak check for partly built templates (the cases' own test checks the
 * messages). Also loads the shipped file many times to catch leaks on success. */
static void test_no_leaks_on_error(void **state)
{
	(void)state;
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
			char json[4096];
			struct template *t = NULL;
			long line, col;
			size_t len = case_json(bad_cases[i].json, json, sizeof(json), &line, &col);

			assert_int_equal(template_load_string(json, len, "bad.json", &t, NULL, 0),
					 BOT_ERR_TEMPLATE);
			assert_null(t);
		}
	}
}

int main(void)
{
	const struct CMUnitTest shipped[] = {
		cmocka_unit_test(test_shipped_header),
		cmocka_unit_test(test_shipped_sections),
		cmocka_unit_test(test_shipped_prompts_in_order),
		cmocka_unit_test(test_shipped_counts),
		cmocka_unit_test(test_shipped_key_terms),
		cmocka_unit_test(test_shipped_best_practices),
		cmocka_unit_test(test_shipped_clean_text),
		cmocka_unit_test(test_option_find),
		cmocka_unit_test(test_shipped_followups),
	};
	const struct CMUnitTest loader[] = {
		cmocka_unit_test(test_bad_templates),
		cmocka_unit_test(test_good_small_templates),
		cmocka_unit_test(test_good_followups),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_limits_ids_and_options),
		cmocka_unit_test(test_small_error_buffer),
		cmocka_unit_test(test_file_fixture),
		cmocka_unit_test(test_file_missing),
		cmocka_unit_test(test_file_too_big),
		cmocka_unit_test(test_option_find_utf8),
		cmocka_unit_test(test_set_two),
		cmocka_unit_test(test_set_shipped),
		cmocka_unit_test(test_set_duplicate_id),
		cmocka_unit_test(test_set_bad_file),
		cmocka_unit_test(test_set_missing_and_empty_dir),
		cmocka_unit_test(test_free_partial),
		cmocka_unit_test(test_no_leaks_on_error),
	};
	int failed = 0;

	failed += cmocka_run_group_tests_name("template: shipped community-engagement.json",
					      shipped, load_shipped, free_shipped);
	failed += cmocka_run_group_tests_name("template: loader and validator", loader, NULL,
					      NULL);
	return failed ? 1 : 0;
}
