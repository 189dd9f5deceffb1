// Aikagi embed script for the help center. Paste, where the form should be:
//
//   <iframe src="ORIGIN/password-resetting/regist" title="パスワード再設定依頼"
//     data-aikagi style="width:100%;border:0;height:560px"></iframe>
//   <script src="ORIGIN/embed.js" async></script>
//
// It grows and shrinks each such frame to the height its page reports. Only
// messages from the app's own origin, sent by the frame's own window, are
// believed; questions go to that origin only.
(function () {
  "use strict";
  var APP_ORIGIN = "__AIKAGI_ORIGIN__";
  window.addEventListener("message", function (event) {
    if (event.origin !== APP_ORIGIN) {
      return;
    }
    var data = event.data;
    if (!data || data.type !== "aikagi:height" || typeof data.height !== "number") {
      return;
    }
    var frames = document.querySelectorAll("iframe[data-aikagi]");
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        var height = Math.max(200, Math.min(Math.ceil(data.height), 5000));
        frames[i].style.height = height + "px";
      }
    }
  });
  // A frame that loaded before this script did has reported its height to
  // nobody: ask each one to report again. A frame still loading drops the
  // question, and reports by itself once it has loaded.
  var loaded = document.querySelectorAll("iframe[data-aikagi]");
  for (var j = 0; j < loaded.length; j++) {
    loaded[j].contentWindow.postMessage({ type: "aikagi:height?" }, APP_ORIGIN);
  }
})();
