"""Coverage-guided fuzzing of the parsers that take bytes from outside (docs/fuzzing.md).

Each harness module holds one parser family's ``one_input(data)``: it feeds the bytes to every
parser of the family, lets the parsers' own documented errors pass and lets anything else
escape, which is a finding. The modules import no fuzzing engine, so the unit tests replay the
kept corpora through the very same functions; ``fuzz.engine`` runs them under atheris
(libFuzzer), with the project's modules instrumented for coverage.
"""
