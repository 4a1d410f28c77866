"""Every action and kind of object of the journal has its French label."""

import pytest

from ato.core.audit import Action, Subject


@pytest.mark.parametrize("member", [*Action, *Subject])
def test_every_action_and_subject_has_a_french_label(member):
    assert member.label and "_" not in member.label
    assert member.label[0].isupper()


@pytest.mark.parametrize("kind", [Action, Subject])
def test_no_two_members_share_a_label(kind):
    assert len({m.label for m in kind}) == len(kind)


def test_labels_are_written_not_derived_from_codes():
    assert Action.CONNEXION_ECHOUEE.label == "Connexion échouée"
    assert Subject.USER_ACCOUNT.label == "Compte"
