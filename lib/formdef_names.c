/* The definition loader's lexical checks: ids, field keys, choice values and autocomplete tokens. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formdef_int.h"

/* ------------------------------------------------------------------ */
/* Names */

int
name_ok(const char *s, size_t len, size_t max, const char *first, const char *rest)
{
	if (len == 0 || len > max || strlen(s) != len)
		return 0;
	if (first != NULL && strchr(first, s[0]) == NULL)
		return 0;
	return strspn(s, rest) == len;
}

#define LOWER_DIGITS	"abcdefghijklmnopqrstuvwxyz0123456789"

int
id_ok(const char *s, size_t len)
{
	return name_ok(s, len, MAX_ID, NULL, LOWER_DIGITS "-");
}

int
key_ok(const char *s, size_t len)
{
	return name_ok(s, len, MAX_KEY, "abcdefghijklmnopqrstuvwxyz", LOWER_DIGITS "_");
}

int
value_ok(const char *s, size_t len)
{
	return name_ok(s, len, MAX_VALUE, NULL, LOWER_DIGITS "_-");
}

/* ------------------------------------------------------------------ */
/* autocomplete: the HTML "autofill detail tokens" grammar, lower case only.
 * [section-*] [shipping|billing] (field | [home|work|mobile|fax|pager] contact) [webauthn],
 * or "on"/"off" alone. */

static const char *const ac_fields[] = {
	"name", "honorific-prefix", "given-name", "additional-name", "family-name",
	"honorific-suffix", "nickname", "username", "new-password", "current-password",
	"one-time-code", "organization-title", "organization", "street-address",
	"address-line1", "address-line2", "address-line3", "address-level4", "address-level3",
	"address-level2", "address-level1", "country", "country-name", "postal-code",
	"cc-name", "cc-given-name", "cc-additional-name", "cc-family-name", "cc-number",
	"cc-exp", "cc-exp-month", "cc-exp-year", "cc-csc", "cc-type", "transaction-currency",
	"transaction-amount", "language", "bday", "bday-day", "bday-month", "bday-year", "sex",
	"url", "photo",
};

static const char *const ac_contact[] = {
	"tel", "tel-country-code", "tel-national", "tel-area-code", "tel-local",
	"tel-local-prefix", "tel-local-suffix", "tel-extension", "email", "impp",
};


static int
in_list(const char *tok, size_t len, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(list[i]) == len && memcmp(list[i], tok, len) == 0)
			return 1;
	return 0;
}

static int
is_tok(const char *t, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(t, word, len) == 0;
}

static int
autocomplete_ok(const char *s)
{
	const char	*tok[6];
	size_t		 len[6], n = 0, i = 0;
	const char	*p = s;

	while (*p != '\0') {
		if (n == NELEM(tok) || *p == ' ')
			return 0;
		tok[n] = p;
		len[n] = strcspn(p, " ");
		p += len[n++];
		if (*p == ' ' && *++p == '\0')
			return 0;
	}
	if (n == 1 && (is_tok(tok[0], len[0], "on") || is_tok(tok[0], len[0], "off")))
		return 1;
	if (i < n && len[i] > 8 && memcmp(tok[i], "section-", 8) == 0 &&
	    strspn(tok[i] + 8, LOWER_DIGITS "-") >= len[i] - 8)
		i++;
	if (i < n && (is_tok(tok[i], len[i], "shipping") || is_tok(tok[i], len[i], "billing")))
		i++;
	if (i < n && in_list(tok[i], len[i], ac_fields, NELEM(ac_fields)))
		i++;
	else {
		if (i < n && (is_tok(tok[i], len[i], "home") || is_tok(tok[i], len[i], "work") ||
		    is_tok(tok[i], len[i], "mobile") || is_tok(tok[i], len[i], "fax") ||
		    is_tok(tok[i], len[i], "pager")))
			i++;
		if (i == n || !in_list(tok[i], len[i], ac_contact, NELEM(ac_contact)))
			return 0;
		i++;
	}
	if (i < n && is_tok(tok[i], len[i], "webauthn"))
		i++;
	return i == n;
}

/* HTML lets the one multiline autofill name (street-address) name only a multiline control. */
int
autocomplete_multiline(const char *s)
{
	const char	*p = s;
	size_t		 len;

	for (; *p != '\0'; p += len + (p[len] == ' ')) {
		len = strcspn(p, " ");
		if (is_tok(p, len, "street-address"))
			return 1;
	}
	return 0;
}

int
get_autocomplete(struct ctx *c, const struct ynode *k, const struct ynode *v, char **out)
{
	const char *guess;

	if (ytree_str(&c->e, k, v, YTREE_REQUIRED, YTREE_ONE_LINE, out) == -1 || *out == NULL)
		return v == NULL ? 0 : -1;
	if (autocomplete_ok(*out))
		return 0;
	if ((guess = ytree_suggest(*out, ac_fields, NELEM(ac_fields))) == NULL)
		guess = ytree_suggest(*out, ac_contact, NELEM(ac_contact));
	ytree_err(&c->e, v->line, v->col, "unknown autocomplete token '%s'%s%s%s", ytree_quote(v->s, v->slen).s,
	    guess ? " (did you mean '" : " (see the HTML autocomplete list in forms/README.md)",
	    guess ? guess : "", guess ? "'?)" : "");
	free(*out);
	*out = NULL;
	return -1;
}
