"""Site scoping of what users see, and users without rights."""

from __future__ import annotations

import pytest

from nakip.edc import permissions, services

from .conftest import PASSWORD


def test_visible_subjects_by_site(site_a, site_b, make_user, enrol) -> None:
    inv_b = make_user("investigator", site_b)
    a = enrol("overt")
    b = enrol("overt", user=inv_b, site=site_b)
    nurse_a = make_user("study_nurse", site_a)
    dm_all = make_user("data_manager", None)
    dsmb = make_user("dsmb", site_a)
    assert list(permissions.visible_subjects(nurse_a)) == [a]
    assert list(permissions.visible_subjects(inv_b)) == [b]
    assert set(permissions.visible_subjects(dm_all)) == {a, b}
    assert not permissions.visible_subjects(dsmb).exists()
    assert permissions.can(dm_all, "lock", b)


def test_inactive_user_and_anonymous_have_no_rights(staff, subject) -> None:
    from django.contrib.auth.models import AnonymousUser

    inv = staff["investigator"]
    inv.is_active = False
    assert not permissions.can(inv, "view_subject", subject)
    assert not permissions.can(AnonymousUser(), "view_reports")
    with pytest.raises(ValueError):
        permissions.can(staff["monitor"], "delete_everything", subject)


def test_site_bound_roles_need_a_site(db) -> None:
    from nakip.edc.exceptions import FormValidationError

    with pytest.raises(FormValidationError):
        services.create_user(None, "floating", PASSWORD, "investigator", None)
