/*
 * formview: a procedure's form as template variables, the same wherever a
 * form is filled in: the resident's form (apply) and staff's entry of an
 * application received on paper (staff).  Both render templates/_field.html
 * for each of "fields" and _errors.html for "errors", and their
 * confirmation pages the "rows" and "hidden" set here, so a change to the
 * form shows on both.
 *
 * The texts are in the reader's language l (lang.h; the definition's own
 * texts through formdef_text, the rest from the catalogues); l NULL:
 * the definition's Japanese and bare message ids (tests without catalogues).
 *
 * Every value set is copied into vars (tmpl.h); the answers are borrowed.
 * Functions return 0, or -1 when a variable could not be set.
 */
#ifndef FORMVIEW_H
#define FORMVIEW_H

#include "answers.h"
#include "places.h"
#include "lang.h"
#include "tmpl.h"

/*
 * One "fields" item per field with the answers as read (the values typed
 * are shown back), and with with_errors each message beside its field,
 * an "errors" item linking to it and "page_error" when there is any.
 * places: the procedure's counters (places.h), or NULL: the choices of its
 * places field then say 残りN人 or 満員 ("places"), and one closed to new
 * applications is "disabled".
 */
int	formview_fields(struct tvars *vars, const struct answers *as, const struct lang *l, int with_errors,
	    const struct places_view *places);
/*
 * The confirmation page (templates/_confirm_rows.html): a "rows" item
 * (label, display, key) per shown answer, "form_path" (the form's path,
 * where 変更 goes back to), and a "hidden" item (name, value) per value to
 * send again, so that "send" and "back" need no draft on the server.
 */
int	formview_confirm(struct tvars *vars, const struct answers *as, const struct lang *l,
	    const char *form_path);

#endif
