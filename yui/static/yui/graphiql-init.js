// Starts GraphiQL against this page's endpoint. Cookie-authenticated writes need the
// CSRF token, which Django keeps in the yui_csrftoken cookie. Where the endpoint speaks
// graphql-transport-ws (the gateway's /graphql), subscriptions go over a WebSocket to the
// same origin; the browser sends the session cookie with it, as with the HTTP requests.
(function () {
  "use strict";
  function cookie(name) {
    var match = document.cookie.split("; ").find(function (c) { return c.indexOf(name + "=") === 0; });
    return match ? decodeURIComponent(match.slice(name.length + 1)) : "";
  }
  var root = document.getElementById("graphiql");
  var options = {
    url: root.dataset.endpoint,
    headers: { "X-CSRFToken": cookie("yui_csrftoken") },
  };
  if (root.dataset.subscriptions && window.graphqlWs) {
    var socketUrl = new URL(root.dataset.endpoint, window.location.href);
    socketUrl.protocol = socketUrl.protocol === "https:" ? "wss:" : "ws:";
    options.wsClient = window.graphqlWs.createClient({ url: socketUrl.href, lazy: true });
  }
  var fetcher = GraphiQL.createFetcher(options);
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: "{\n  me {\n    name\n    department { name }\n  }\n}\n",
      shouldPersistHeaders: false,
    })
  );
})();
