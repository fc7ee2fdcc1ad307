/* forms.h - the form specs handlers queue (OUTBOX_FORM) and transports render (a Slack
 * modal). A spec is JSON:
 *   {"form":"answer","session":1,"prompt":3,"title":"Question 3 of 22",
 *    "question":"...","kind":"text"|"checklist","options":[{"label","text"}...]}
 *   {"form":"action_item","session":1,"prompt":-1,"title":"Add an action item"}
 * The submitted form comes back as an EVENT_FORM with the same session and prompt. */
#ifndef WORKSHOPBOT_FORMS_H
#define WORKSHOPBOT_FORMS_H

#endif
