"""The EDC's use cases: the one place where data are written.

Every write service takes the acting user first, checks `permissions.can`, refuses locked data,
validates with the edit checks, writes inside one transaction, and leaves a history row with
the user and the reason (mandatory for every change after first entry). Pages, the REST API,
the command line and the virtual patients all call these functions, through this package:
`accounts` (sites, users, roles, tokens), `screening` (eligibility, enrolment, screen
failure), `form_records` (records, SDV, cross-form checks), `visits`, `queries` and `signoff`
(signatures, locks), over the helpers they share in `common`.
"""

from __future__ import annotations

from nakip.edc.death_dates import DEATH_DATE_FIELDS, death_date, death_date_in
from nakip.edc.protocol_forms import SCREENING_FORM, form_definition, get_protocol
from nakip.edc.services.accounts import (
    SITE_BOUND_ROLES,
    add_membership,
    api_token,
    create_site,
    create_user,
    get_site,
)
from nakip.edc.services.common import MAX_REASON_LENGTH, check_date_input, clean_text
from nakip.edc.services.form_records import (
    CROSS_FORM_CODES,
    WORKFLOW_FORMS,
    SaveResult,
    create_record,
    cross_form_findings,
    mark_sdv,
    records,
    update_record,
    withdraw_record,
)
from nakip.edc.services.queries import (
    answer_query,
    close_query,
    raise_query,
    reopen_query,
    unresolved_queries,
)
from nakip.edc.services.screening import (
    create_screening,
    enrol_subject,
    record_screen_failure,
    update_screening,
)
from nakip.edc.services.signoff import (
    SIGNATURE_STATEMENT,
    current_signature,
    lock_cohort,
    lock_subject,
    sign_casebook,
    unlock_cohort,
    unlock_subject,
)
from nakip.edc.services.visits import (
    mark_visit_missed,
    subject_visits,
    unmark_visit_missed,
    visits_by_subject,
)

__all__ = [
    "CROSS_FORM_CODES",
    "DEATH_DATE_FIELDS",
    "MAX_REASON_LENGTH",
    "SCREENING_FORM",
    "SIGNATURE_STATEMENT",
    "SITE_BOUND_ROLES",
    "WORKFLOW_FORMS",
    "SaveResult",
    "add_membership",
    "answer_query",
    "api_token",
    "check_date_input",
    "clean_text",
    "close_query",
    "create_record",
    "create_screening",
    "create_site",
    "create_user",
    "cross_form_findings",
    "current_signature",
    "death_date",
    "death_date_in",
    "enrol_subject",
    "form_definition",
    "get_protocol",
    "get_site",
    "lock_cohort",
    "lock_subject",
    "mark_sdv",
    "mark_visit_missed",
    "raise_query",
    "record_screen_failure",
    "records",
    "reopen_query",
    "sign_casebook",
    "subject_visits",
    "unlock_cohort",
    "unlock_subject",
    "unmark_visit_missed",
    "update_record",
    "unresolved_queries",
    "update_screening",
    "visits_by_subject",
    "withdraw_record",
]
