// Starts GraphiQL against this page's endpoint. Cookie-authenticated writes need the
// CSRF token, which Django keeps in the yui_csrftoken cookie.
(function () {
  "use strict";
  function cookie(name) {
    var match = document.cookie.split("; ").find(function (c) { return c.indexOf(name + "=") === 0; });
    return match ? decodeURIComponent(match.slice(name.length + 1)) : "";
  }
  var root = document.getElementById("graphiql");
  var fetcher = GraphiQL.createFetcher({
    url: root.dataset.endpoint,
    headers: { "X-CSRFToken": cookie("yui_csrftoken") },
  });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: "{\n  me {\n    name\n    department { name }\n  }\n}\n",
      shouldPersistHeaders: false,
    })
  );
})();
