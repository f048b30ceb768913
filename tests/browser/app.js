// A frontend as an integrator writes it: the vendor's Connect Web SDK,
// unchanged from npm, launched on a link the backend generated. What the
// SDK reports is kept in window.__events for the test to read.
import { FinicityConnect } from "@finicity/connect-web-sdk";

window.__events = [];
const record = (name) => (data) => window.__events.push({ name, data: data === undefined ? null : data });

window.launchConnect = (link) =>
  FinicityConnect.launch(
    link,
    {
      onLoad: record("onLoad"),
      onRoute: record("onRoute"),
      onUser: record("onUser"),
      onDone: record("onDone"),
      onCancel: record("onCancel"),
      onError: record("onError"),
    },
    { overlay: "rgba(0,0,0,0.2)" },
  );
