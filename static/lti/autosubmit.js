// The deep-linking answer goes back to the LMS by a form post; with JS it goes at once
// (the button stays for readers without it). Inline scripts are forbidden by our CSP.
document.querySelectorAll("form[data-autosubmit]").forEach((form) => form.submit());
