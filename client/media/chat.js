// The Chat view's webview: draws the state the extension posts and sends back what the user does.
// Plain script, no framework. Every string from the extension is set as text, except the answers'
// HTML, which the extension rendered with markdown-it (raw HTML escaped). The message types are
// defined in client/src/chat/chatProtocol.ts, where the extension checks each one.
/* global acquireVsCodeApi, document, window */
(function () {
  "use strict";
  const vscode = acquireVsCodeApi();
  // What survives the view being hidden and shown again: the draft, the tool rows opened, the last state.
  const saved = vscode.getState() || {};
  let draft = typeof saved.draft === "string" ? saved.draft : "";
  const openTools = new Set(Array.isArray(saved.openTools) ? saved.openTools : []);
  let state = saved.state || null;
  let mentionItems = [];
  let mentionIndex = 0;

  const conversation = document.getElementById("conversation");
  const review = document.getElementById("review");
  const chips = document.getElementById("chips");
  const mentions = document.getElementById("mentions");
  const input = document.getElementById("input");
  const stop = document.getElementById("stop");
  const send = document.getElementById("send");
  const composer = document.getElementById("composer");

  function persist() {
    vscode.setState({ draft, openTools: [...openTools], state });
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function button(label, onClick, className) {
    const node = el("button", className, label);
    node.type = "button";
    node.addEventListener("click", onClick);
    return node;
  }

  function drawItem(turn, item, index) {
    switch (item.kind) {
      case "text": {
        const node = el("div", "answer");
        node.innerHTML = item.html;
        for (const b of node.querySelectorAll("button[data-action]")) {
          b.addEventListener("click", () =>
            vscode.postMessage({
              type: "code",
              action: b.dataset.action,
              turnId: turn.id,
              block: Number(b.dataset.block),
            }),
          );
        }
        return node;
      }
      case "tool": {
        const key = turn.id + ":" + index;
        const node = el("details", "tool " + item.state);
        node.open = openTools.has(key);
        node.addEventListener("toggle", () => {
          if (node.open) openTools.add(key);
          else openTools.delete(key);
          persist();
        });
        const ms = item.ms !== undefined ? " · " + item.ms + " ms" : "";
        node.append(el("summary", "", item.name + ": " + item.summary + " — " + item.state + ms));
        if (item.result !== undefined) node.append(el("div", "result", item.result));
        return node;
      }
      case "approval": {
        const by = item.by ? " (" + item.by + ")" : "";
        const words = { pending: "waiting for your answer", allowed: "allowed", denied: "denied" }[item.state];
        const node = el("div", "approval " + item.state);
        node.append(el("div", "", "Approval: " + item.tool + " " + item.summary + " — " + words + by));
        if (item.answerable) {
          const answer = (decision) => () =>
            vscode.postMessage({ type: "approval", taskId: item.answerable.taskId, decision });
          const actions = el("div", "composer-actions");
          actions.append(
            button("Allow once", answer("once")),
            button("Always for this workspace", answer("always"), "secondary"),
            button("Deny", answer("deny"), "secondary"),
          );
          node.append(actions);
        }
        return node;
      }
      case "question":
        return el("div", "asked", "Asked: " + item.question + (item.answer !== undefined ? " — " + item.answer : ""));
      default:
        return el("div", "notice", item.text);
    }
  }

  function drawTurn(turn) {
    const node = el("article", "turn");
    node.append(el("div", "question", turn.question));
    if (turn.context.length > 0) node.append(el("div", "context", turn.context.join(", ")));
    turn.items.forEach((item, index) => node.append(drawItem(turn, item, index)));
    if (turn.status === "running") node.append(el("div", "status", "Bora is working… " + (turn.activity || "")));
    else if (turn.status !== "done") node.append(el("div", "status " + turn.status, turn.status));
    return node;
  }

  function drawReview(view) {
    review.replaceChildren();
    if (!view) {
      review.hidden = true;
      return;
    }
    review.hidden = false;
    const post = (action, path) => vscode.postMessage({ type: "review", action, taskId: view.taskId, path });
    review.append(el("h3", "", "Changes: " + view.title));
    const list = el("ul");
    for (const row of view.rows) {
      const item = el("li", row.state);
      const link = button(row.status + " " + row.path, () => post("diff", row.path), "secondary path");
      link.title = "Show the diff";
      item.append(link);
      if (row.state === "pending") {
        item.append(button("Keep", () => post("keep", row.path), "secondary"));
        item.append(button("Undo", () => post("undo", row.path), "secondary"));
      } else item.append(el("span", "detail", row.state));
      list.append(item);
    }
    review.append(list);
    if (view.rows.some((row) => row.state === "pending")) {
      const actions = el("div", "composer-actions");
      actions.append(
        button("Keep All", () => post("keepAll")),
        button("Undo All", () => post("undoAll"), "secondary"),
      );
      review.append(actions);
    }
  }

  function drawChips(list) {
    chips.replaceChildren();
    for (const chip of list) {
      const node = el("span", "chip " + chip.kind);
      node.append(el("span", "", chip.label));
      const remove = button("×", () => vscode.postMessage({ type: "removeChip", id: chip.id }));
      remove.setAttribute("aria-label", "Remove " + chip.label + " from the context");
      node.append(remove);
      chips.append(node);
    }
  }

  function draw() {
    if (!state) return;
    const atBottom = conversation.scrollHeight - conversation.scrollTop - conversation.clientHeight < 40;
    conversation.replaceChildren(...state.turns.map(drawTurn));
    if (state.turns.length === 0) {
      conversation.append(
        el("p", "status", "Ask Bora about your code. The active file and selection go along as context."),
      );
    }
    drawReview(state.review);
    drawChips(state.chips);
    stop.hidden = !state.running;
    send.disabled = state.running;
    if (atBottom) document.scrollingElement.scrollTop = document.scrollingElement.scrollHeight;
  }

  // `@name` being typed at the caret: the query, or null.
  function mentionQuery() {
    const before = input.value.slice(0, input.selectionStart);
    const match = /(^|\s)@([^\s@]*)$/.exec(before);
    return match ? match[2] : null;
  }

  function drawMentions() {
    mentions.replaceChildren();
    mentions.hidden = mentionItems.length === 0;
    mentionItems.forEach((item, i) => {
      const option = el("li", "", item.label);
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", String(i === mentionIndex));
      option.append(el("span", "detail", item.detail));
      option.addEventListener("mousedown", (event) => {
        event.preventDefault();
        pickMention(i);
      });
      mentions.append(option);
    });
  }

  function pickMention(i) {
    const item = mentionItems[i];
    if (!item) return;
    const caret = input.selectionStart;
    const before = input.value.slice(0, caret).replace(/@[^\s@]*$/, "");
    input.value = before + input.value.slice(caret);
    draft = input.value;
    persist();
    mentionItems = [];
    drawMentions();
    vscode.postMessage({ type: "addMention", uri: item.uri });
  }

  function submit() {
    const text = input.value.trim();
    if (text === "" || (state && state.running)) return;
    vscode.postMessage({ type: "send", text });
    input.value = "";
    draft = "";
    mentionItems = [];
    drawMentions();
    persist();
  }

  input.addEventListener("input", () => {
    draft = input.value;
    persist();
    const query = mentionQuery();
    if (query === null) {
      mentionItems = [];
      drawMentions();
    } else vscode.postMessage({ type: "mentionQuery", query });
  });

  input.addEventListener("keydown", (event) => {
    if (mentionItems.length > 0) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        mentionIndex = (mentionIndex + step + mentionItems.length) % mentionItems.length;
        drawMentions();
        return;
      }
      if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        pickMention(mentionIndex);
        return;
      }
      if (event.key === "Escape") {
        mentionItems = [];
        drawMentions();
        return;
      }
    }
    // Enter sends; Shift+Enter is a new line (and IME composition is never cut short).
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });

  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  stop.addEventListener("click", () => vscode.postMessage({ type: "stop" }));

  window.addEventListener("message", (event) => {
    const message = event.data;
    if (message.type === "state") {
      state = message.state;
      persist();
      draw();
    } else if (message.type === "mentionResults" && message.query === mentionQuery()) {
      mentionItems = message.items;
      mentionIndex = 0;
      drawMentions();
    }
  });

  input.value = draft;
  draw();
  vscode.postMessage({ type: "ready" });
})();
