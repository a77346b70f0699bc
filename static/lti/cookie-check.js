// PyLTI1p3's cookie check (enable_check_cookies), as a static file because our CSP forbids
// inline scripts: if this frame can keep a cookie, the login goes on here; if the browser blocks
// third-party cookies, the learner is offered the same login in a new (first-party) window.
(() => {
  const box = document.getElementById("lti-cookie-check");
  if (!box) return;
  const secure = window.location.protocol === "https:";
  const test = "lti1p3_test_cookie=1; path=/" + (secure ? "; SameSite=None; Secure" : "");
  document.cookie = test;
  if (document.cookie.indexOf("lti1p3_test_cookie") !== -1) {
    document.cookie = "lti1p3_test_cookie=; path=/; expires=Thu, 01 Jan 1970 00:00:01 GMT";
    document.getElementById("lti-cookie-checking").hidden = false;
    window.location.replace(box.dataset.continue);
  } else {
    document.getElementById("lti-cookie-blocked").hidden = false;
  }
})();
