// twin hub: small progressive enhancement. Every page works without this file.
"use strict";
(function () {
  // Drag and drop upload, streamed to the hub with progress.
  const form = document.getElementById("upload-form");
  if (form && window.XMLHttpRequest) {
    const input = document.getElementById("export");
    const drop = document.getElementById("drop");
    const bar = document.getElementById("upload-bar");
    const send = (file) => {
      const request = new XMLHttpRequest();
      request.open("PUT", "/sources/upload/" + encodeURIComponent(file.name));
      request.setRequestHeader("X-CSRF-Token", form.dataset.csrf);
      bar.hidden = false;
      request.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = (100 * e.loaded) / e.total; };
      request.onload = () => {
        if (request.status === 200) window.location = JSON.parse(request.responseText).preview;
        else document.body.innerHTML = request.responseText;
      };
      request.send(file);
    };
    form.addEventListener("submit", (e) => { if (input.files.length) { e.preventDefault(); send(input.files[0]); } });
    drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files.length) send(e.dataTransfer.files[0]); });
  }

  // A job's live progress, by server-sent events.
  const job = document.getElementById("job");
  if (job && job.dataset.live === "yes" && window.EventSource) {
    const events = new EventSource(job.dataset.events);
    const show = (state) => {
      document.getElementById("job-status").textContent = state.status;
      const p = state.progress || {};
      const parts = Object.keys(p).filter((k) => k !== "losses").map((k) => k.replace(/_/g, " ") + ": " + p[k]);
      document.getElementById("job-progress").textContent = parts.join(", ");
      const bar = document.getElementById("job-bar");
      if (p.total) { bar.max = p.total; bar.value = p.step || 0; }
      document.getElementById("job-outcome").textContent = state.outcome || "";
      drawLoss(p.losses || []);
    };
    events.onmessage = (e) => show(JSON.parse(e.data));
    events.addEventListener("end", () => { events.close(); window.setTimeout(() => window.location.reload(), 300); });
  }
  function drawLoss(losses) {
    const canvas = document.getElementById("job-loss");
    if (!canvas || !canvas.getContext || losses.length < 2) return;
    const c = canvas.getContext("2d");
    const max = Math.max(...losses), min = Math.min(...losses);
    c.clearRect(0, 0, canvas.width, canvas.height);
    c.strokeStyle = "#0b5394"; c.lineWidth = 2; c.beginPath();
    losses.forEach((v, i) => {
      const x = (i / (losses.length - 1)) * (canvas.width - 10) + 5;
      const y = canvas.height - 5 - ((v - min) / (max - min || 1)) * (canvas.height - 10);
      if (i) c.lineTo(x, y); else c.moveTo(x, y);
    });
    c.stroke();
  }

  // Chat: the reply streams in, sentence by sentence.
  const chat = document.getElementById("chat-form");
  if (chat && window.fetch && window.TextDecoder) {
    chat.addEventListener("submit", async (e) => {
      e.preventDefault();
      const text = chat.elements.text.value.trim();
      if (!text) return;
      const turns = document.getElementById("turns");
      const mine = document.createElement("article");
      mine.className = "turn user";
      mine.innerHTML = '<h2 class="who">You</h2><p class="said"></p>';
      mine.querySelector(".said").textContent = text;
      turns.appendChild(mine);
      const reply = document.createElement("article");
      reply.className = "turn assistant";
      reply.innerHTML = '<h2 class="who">Your twin</h2><p class="said"></p>';
      turns.appendChild(reply);
      const said = reply.querySelector(".said");
      chat.elements.text.value = "";
      const response = await fetch("/chat/stream", {
        method: "POST",
        headers: { "X-CSRF-Token": chat.dataset.csrf },
        body: new URLSearchParams({ chat: chat.elements.chat.value, text: text }),
      });
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut); buffer = buffer.slice(cut + 2);
          const kind = (block.match(/^event: (.*)$/m) || [])[1] || "message";
          const data = JSON.parse((block.match(/^data: (.*)$/m) || [])[1] || "{}");
          if (kind === "message") said.textContent += data.text;
          else if (kind === "done") finish(reply, data);
        }
      }
    });
  }
  function finish(reply, data) {
    const template = document.getElementById("reply-template");
    const holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/TURN/g, String(data.turn));
    const passages = holder.querySelector(".passages");
    passages.innerHTML = "";
    (data.passages.length ? data.passages : [null]).forEach((p) => {
      const li = document.createElement("li");
      li.textContent = p ? p.date.slice(0, 10) + " · " + p.source + ": " + p.passage : "No passage recalled.";
      passages.appendChild(li);
    });
    const held = holder.querySelector(".held");
    data.held_back.forEach((g) => {
      const li = document.createElement("li");
      li.textContent = "Held back (" + g.guard + "): " + g.sentence + " (" + g.reason + ")";
      held.appendChild(li);
    });
    reply.id = "turn-" + data.turn;
    while (holder.firstChild) reply.appendChild(holder.firstChild);
  }
})();
