// The rating form: show only the reasons of the chosen level. Reasons of other levels are
// disabled, so they are neither shown nor sent; without this script all of them are shown.
for (const form of document.querySelectorAll(".rating-form")) {
  const groups = form.querySelectorAll(".rating-reasons");
  const show = () => {
    const chosen = form.querySelector("input[name=level]:checked");
    for (const group of groups) {
      const on = chosen !== null && group.dataset.level === chosen.value;
      group.hidden = !on;
      for (const box of group.querySelectorAll("input")) box.disabled = !on;
    }
  };
  form.addEventListener("change", (event) => {
    if (event.target.name === "level") show();
  });
  show();
}
