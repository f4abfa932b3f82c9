"""The models of feedback, one module per topic; every name is re-exported here so that
`from feedback.models import X` (and Django's app registry) find them all."""

from .cases import (
    CaseEvent,
    DepartmentCasePolicy,
    DissatisfactionCase,
    DissatisfactionCaseQuerySet,
    OfficerExplanation,
)
from .conversation import CaseAttachment, HandlingRating
from .declarations import Declaration, DeclarationOfficer, DeclarationQuerySet
from .rating_links import RatingLink
from .ratings import Rating, RatingCorrection, RatingOfficer

__all__ = [
    "CaseAttachment",
    "HandlingRating",
    "CaseEvent",
    "Declaration",
    "DeclarationOfficer",
    "DeclarationQuerySet",
    "DepartmentCasePolicy",
    "DissatisfactionCase",
    "DissatisfactionCaseQuerySet",
    "OfficerExplanation",
    "Rating",
    "RatingCorrection",
    "RatingLink",
    "RatingOfficer",
]
