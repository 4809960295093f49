// The viewer's time zone (an IANA name such as America/Sao_Paulo), kept in a cookie so that the
// server shows every time in it. Loaded by Dash from assets/ before any callback runs.
(function () {
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && /^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone)) {  // an IANA name is cookie-safe as it is
      document.cookie = "matrix-tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
    }
  } catch (e) {
    // No Intl time zone in this browser: times stay in UTC, as the server's default.
  }
})();
