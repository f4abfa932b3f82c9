"""Small tables shared by the method tests (each test states its own hand computation)."""

import pandas as pd

from cdci.method import composite as cdci

QUESTIONS = pd.DataFrame(
    {
        "question": ["q1", "q2", "q3", "q4"],
        "component": ["K1", "K1", "K2", "K2"],
        "direction": ["positive", "positive", "positive", "negative"],
        "kind": ["agreement_5", "agreement_5", "yes_no", "number"],
        "scale_min": [1.0, 1.0, 0.0, 0.0],
        "scale_max": [5.0, 5.0, 1.0, 10.0],
    }
)
COMPONENTS = pd.DataFrame({"component": ["K1", "K2"], "weight": [60.0, 40.0]})
ONE_QUESTION = pd.DataFrame(
    {"question": ["q1"], "component": ["K1"], "direction": ["positive"], "scale_min": [1.0], "scale_max": [5.0]}
)
ONE_COMPONENT = pd.DataFrame({"component": ["K1"], "weight": [100.0]})


def answers_frame(table: dict, clusters: dict | None = None) -> pd.DataFrame:
    """respondent -> (unit, segment, {question: value}); clusters: respondent -> business, when given."""
    rows = [
        (respondent, unit, segment, question, float(value))
        for respondent, (unit, segment, values) in table.items()
        for question, value in values.items()
    ]
    frame = pd.DataFrame(rows, columns=list(cdci.ANSWER_COLUMNS))
    if clusters is not None:
        frame[cdci.CLUSTER] = frame["respondent_id"].map(clusters)
    return frame


def one_question_units(values_by_unit: dict, segment: str = "in_province") -> pd.DataFrame:
    """unit -> list of answers to q1, one respondent each (ids numbered across units)."""
    table, respondent = {}, 0
    for unit, values in values_by_unit.items():
        for value in values:
            respondent += 1
            table[respondent] = (unit, segment, {"q1": value})
    return answers_frame(table)
