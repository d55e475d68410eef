// The demo sign-up page: the submit button waits for a pass token, unless the widget runs
// on submit (then the widget holds the submit until it has the token).
const form = document.getElementById('signup') as HTMLFormElement | null;
const submit = document.getElementById('submit') as HTMLButtonElement | null;
const captcha = document.getElementById('captcha');

if (form !== null && submit !== null && captcha !== null && captcha.dataset['execution'] !== 'submit') {
  const field = (): HTMLInputElement | null => form.querySelector<HTMLInputElement>('input[name="hurdle-response"]');
  const update = (): void => { submit.disabled = (field()?.value ?? '') === ''; };
  update();
  captcha.addEventListener('hurdle:success', update);
  captcha.addEventListener('hurdle:expired', update);
  captcha.addEventListener('hurdle:error', update);
  form.addEventListener('submit', (event) => {
    if ((field()?.value ?? '') === '') event.preventDefault();
  });
}
