"""LTI 1.3 (Advantage): the site as a tool inside Moodle, Canvas and other LMSs.

It lives under quizzes/teach/ because an LMS course becomes one of our classes: launches link
LMS users to accounts and classes, the roster (NRPS) fills the class, and scores (AGS) of the
class's quizzes and labs go back to the LMS gradebook. The protocol itself (OIDC login, id_token
signature, deep-linking JWTs, service tokens) is PyLTI1p3's; this package only maps it onto our
models.
"""
