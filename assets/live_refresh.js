// Looks, every `data.every` ms, at the small file the server rewrites whenever a change is committed
// anywhere (a static file: no script runs for it), and asks for a redraw once it differs from the state
// the page was drawn at. A server restarting is looked at again next time.
export default function ({ data, setTriggerValue, parentElement }) {
  clearInterval(parentElement.rolloutTimer);
  parentElement.rolloutTimer = setInterval(async () => {
    try {
      const answer = await fetch(data.url, { cache: "no-store" });
      const seen = (await answer.text()).trim();
      if (answer.ok && seen && seen !== data.drawn) {
        clearInterval(parentElement.rolloutTimer);
        setTriggerValue("changed", seen);
      }
    } catch (error) {
      // the server is away for a moment: look again next time
    }
  }, data.every);
  return () => clearInterval(parentElement.rolloutTimer);
}
