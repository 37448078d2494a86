// Sign in with an AD account (or the local admin). Wrong credentials and throttling are shown
// in the form; the API's message is already worded for people.
import { api } from '../api.js';
import { add, h } from '../dom.js';

function safeNext(next) {
  // Only local paths: an attacker-made link must not bounce the user to another site.
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/';
}

export async function render(main, ctx) {
  const error = h('p', { className: 'login-error', testid: 'login-error', role: 'alert', hidden: true });
  const username = h('input', { id: 'login-username', name: 'username', autocomplete: 'username',
                                testid: 'login-username', required: true, autofocus: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password',
                                autocomplete: 'current-password', testid: 'login-password', required: true });
  const submit = h('button', { type: 'submit', testid: 'login-submit', className: 'primary' }, 'Sign in');
  const form = h('form', { className: 'login-form', novalidate: true },
    h('h1', {}, 'Sign in to adcheck'),
    h('label', { for: 'login-username' }, 'User name'), username,
    h('p', { className: 'field-hint' }, 'user@corp.example.com, DOMAIN\\user or the local admin'),
    h('label', { for: 'login-password' }, 'Password'), password,
    submit, error);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    if (!username.value || !password.value) {
      error.textContent = 'Enter a user name and a password.';
      error.hidden = false;
      return;
    }
    submit.disabled = true;
    try {
      const session = await api('/login', { method: 'POST', body: { username: username.value, password: password.value },
                                            expect401: true, banner: false });
      ctx.signedIn(session);
      ctx.navigate(safeNext(ctx.query.get('next')), { replace: true });
    } catch (e) {
      error.textContent = e.message + (e.hint ? ' ' + e.hint : '');
      error.hidden = false;
      password.value = '';
      password.focus();
    } finally {
      submit.disabled = false;
    }
  });
  add(main, h('div', { className: 'login-wrap' }, form));
}
