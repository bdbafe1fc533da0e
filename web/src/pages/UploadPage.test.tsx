import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { json, ME, standIn } from "../test/server";
import { renderAt } from "../test/render";
import { UploadPage } from "./UploadPage";

afterEach(() => vi.unstubAllGlobals());

const routes = [{ path: "/upload", element: <UploadPage /> }];

/** Stands in for XMLHttpRequest (the upload's transport): keeps the form, answers `reply`. */
function fakeXhr(reply: { status: number; body: unknown }) {
  const sent: FormData[] = [];
  class FakeXhr {
    status = 0;
    response: unknown = null;
    responseType = "";
    withCredentials = false;
    upload: { onprogress?: (e: ProgressEvent) => void } = {};
    onload?: () => void;
    onerror?: () => void;
    onabort?: () => void;
    open() {}
    setRequestHeader() {}
    abort() {}
    send(form: FormData) {
      sent.push(form);
      this.status = reply.status;
      this.response = reply.body;
      queueMicrotask(() => this.onload?.());
    }
  }
  vi.stubGlobal("XMLHttpRequest", FakeXhr);
  return sent;
}

function standInGateway() {
  standIn({
    "GET /v1/me": () => json(ME),
    "GET /v1/auth/csrf": () => json({ csrf_token: "t" }),
    "GET /v1/calls/c1": () => json({ id: "c1", status: "uploaded", title: "call", participants: [] }),
  });
}

async function chooseRecording() {
  const file = new File([new Uint8Array([1, 2, 3])], "call.wav", { type: "audio/wav" });
  await userEvent.upload(screen.getByLabelText("Choose a file"), file);
}

test("the Language select detects by default and sends only a chosen language", async () => {
  standInGateway();
  const sent = fakeXhr({ status: 202, body: { id: "c1", status: "uploaded" } });
  renderAt("/upload", routes);
  const select = await screen.findByLabelText("Language");
  expect(select).toHaveValue("auto");
  expect(screen.getByRole("option", { name: "Detect automatically" })).toBeInTheDocument();
  expect(screen.getByRole("option", { name: "Portuguese" })).toHaveValue("pt");
  await chooseRecording();
  await userEvent.click(screen.getByRole("button", { name: "Upload" }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]!.get("language")).toBeNull();
});

test("a chosen language goes with the upload; the API's refusal shows beside the select", async () => {
  standInGateway();
  const message = "language 'pt' is not supported";
  const sent = fakeXhr({ status: 422, body: { error: { code: "validation_error", message: `body.language: ${message}` } } });
  renderAt("/upload", routes);
  await userEvent.selectOptions(await screen.findByLabelText("Language"), "pt");
  await chooseRecording();
  await userEvent.click(screen.getByRole("button", { name: "Upload" }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]!.get("language")).toBe("pt");
  expect(await screen.findByText(message)).toBeInTheDocument();
  expect(screen.getByLabelText("Language")).toHaveAccessibleDescription(message);
});
