// The demo sign-up page: the submit button waits for a pass token.
const form = document.getElementById('signup') as HTMLFormElement | null;
const submit = document.getElementById('submit') as HTMLButtonElement | null;
const captcha = document.getElementById('captcha');

if (form !== null && submit !== null && captcha !== null) {
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
