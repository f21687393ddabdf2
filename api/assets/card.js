// The printable card's 打印 button (a script file of its own: the Content-Security-Policy
// allows no inline script).
document.getElementById("print-card")?.addEventListener("click", () => window.print());
