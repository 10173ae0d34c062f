"""Surveys and feedback: NPS, CSAT, CES and "how did you hear about us", safely collected."""

from __future__ import annotations

from loyalist.surveys.definitions import Question, Survey, load_survey, parse_survey
from loyalist.surveys.links import LinkError, LinkUsedError
from loyalist.surveys.service import SurveyService

__all__ = ["LinkError", "LinkUsedError", "Question", "Survey", "SurveyService", "load_survey",
           "parse_survey"]
