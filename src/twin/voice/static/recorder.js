// twin hub, voice: record a journal entry in the browser (MediaRecorder). Without this file, or
// without a microphone, the form beside it uploads a recording file instead.
"use strict";
(function () {
  const form = document.getElementById("record-form");
  const media = navigator.mediaDevices;
  if (!form || !window.MediaRecorder || !media || !media.getUserMedia || !window.fetch) return;
  const start = document.getElementById("record-start");
  const stop = document.getElementById("record-stop");
  const state = document.getElementById("record-state");
  const type = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/ogg"]
    .find((t) => MediaRecorder.isTypeSupported(t)) || "";
  let recorder = null;
  document.getElementById("recorder").hidden = false;

  start.addEventListener("click", async () => {
    let stream;
    try {
      stream = await media.getUserMedia({ audio: true });
    } catch (e) {
      state.textContent = "No microphone could be opened (" + e.name + "); choose a recording file below.";
      return;
    }
    const chunks = [];
    recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    recorder.ondataavailable = (e) => { if (e.data.size) chunks.push(e.data); };
    recorder.onstop = () => {
      stream.getTracks().forEach((t) => t.stop());
      upload(new Blob(chunks, { type: recorder.mimeType || type || "audio/webm" }));
    };
    recorder.start(1000);
    start.disabled = true;
    stop.disabled = false;
    state.textContent = "Recording: speak, then press Stop and save.";
  });

  stop.addEventListener("click", () => {
    if (recorder && recorder.state !== "inactive") recorder.stop();
    stop.disabled = true;
    state.textContent = "Transcribing on this computer…";
  });

  async function upload(blob) {
    const body = new FormData();
    body.append("audio", blob, "recording." + (blob.type.indexOf("ogg") >= 0 ? "ogg" : "webm"));
    if (form.elements.private.checked) body.append("private", "true");
    let answer = {};
    let ok = false;
    try {
      const response = await fetch("/journal/record", {
        method: "POST",
        headers: { "X-CSRF-Token": form.dataset.csrf, "X-Requested-With": "fetch" },
        body: body,
      });
      ok = response.ok;
      answer = await response.json();
    } catch (e) {
      answer = { detail: "the hub did not answer (" + e.message + ")" };
    }
    start.disabled = false;
    if (!ok) {
      state.textContent = "Not saved: " + (answer.detail || "the recording could not be read");
      return;
    }
    state.textContent = (answer.added ? "Saved" : "Already an entry") +
      (answer.private ? ", as private" : "") + ". Heard: " + answer.text;
    state.dataset.entry = String(answer.id);
  }
})();
